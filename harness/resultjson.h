/*
 * resultjson.h - the result file: the one place the JSON schema is written
 * (resultjson.c; harness/analysis/resultfile.c reads it back).
 * results/README.md documents every field; the names are a contract with
 * scripts and CI jobs.
 */
#ifndef IPCBENCH_RESULTJSON_H
#define IPCBENCH_RESULTJSON_H

#include <jansson.h>
#include <stddef.h>

#include "harness/result.h"

/*
 * Writes the result JSON to path through common/outfile.h: "-" is stdout,
 * a regular file is replaced atomically, a FIFO or device is written
 * through, a symlink is refused (outfile_check() tells before a run).
 * 0 or -errno with err describing the failing call.
 */
int resultjson_write(const struct run_result *rr, const char *path, char *err, size_t errlen);

/* The significant digits of a real in the file (the JSON stream writes the same). */
#define RESULTJSON_REAL_DIGITS 10

/* One cell's record, exactly as the result file has it (the JSON stream's cell_finished). */
json_t *resultjson_cell(const struct run_cell *c);
/* Its "key" (valid before the cell ran). */
json_t *resultjson_cell_key(const struct run_cell *c);

#endif
