/* list_guide.h - the guides' table of `ipcbench list` (list_guide.c). */
#ifndef IPCBENCH_LIST_GUIDE_H
#define IPCBENCH_LIST_GUIDE_H

#include <stdio.h>

void list_guide(FILE *f);

#endif
