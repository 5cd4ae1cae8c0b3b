/*
 * fuzz_resultfile.c - libFuzzer target: the result JSON reader that
 * compare, plot, report and hist use on files written by anyone.  The input
 * reaches resultfile_load() through a memfd, exactly as a file would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/analysis/resultfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct result_file rf;
	char path[64], err[512];

	if (fd < 0)
		fd = memfd_create("fuzz-result", 0);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (resultfile_load(path, &rf, err, sizeof(err)) == 0)
		resultfile_release(&rf);
	return 0;
}
