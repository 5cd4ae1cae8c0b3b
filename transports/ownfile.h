/*
 * ownfile.h - opening by its path a regular file that create() made in
 * the run directory, for the file-based transports' exec'd peers (lockfile,
 * file; internal to transports/).
 */
#ifndef IPCBENCH_OWNFILE_H
#define IPCBENCH_OWNFILE_H

#include <sys/types.h>

#include "transports/transport.h"

/*
 * Opens path O_RDWR | O_NOFOLLOW | O_CLOEXEC and checks that it is a
 * regular file of ours that no one else may open and, when size >= 0, exactly size bytes
 * long (what create() made, not something planted in its place).  The fd,
 * or -errno recorded with chan_fail (-EPROTO: not the file made).
 */
int ownfile_open(struct chan *ch, const char *path, off_t size);

#endif
