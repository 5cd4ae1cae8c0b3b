/*
 * fuzz_hlog.c - libFuzzer target: the .hlog interval log reader used by
 * `ipcbench hist` on logs written by anyone.
 */
#include <stdint.h>
#include <stdio.h>

#include "harness/hdr/hlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hlog_reader r;
	struct hlog_interval iv;
	char why[256];
	FILE *f;
	int n = 0, rc;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	hlog_reader_init(&r, f);
	while ((rc = hlog_read_next(&r, &iv, why, sizeof(why))) != 0 && n++ < 10000) {
		if (rc == 1)
			hlog_interval_release(&iv);
	}
	hlog_reader_release(&r);
	fclose(f);
	return 0;
}
