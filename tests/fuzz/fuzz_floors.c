/*
 * fuzz_floors.c - libFuzzer target: the floors cache reader
 * (harness/floors.h).  Whatever the bytes, it must return 0, -EINVAL or
 * -ENOENT; a file it accepts must hold only sane floors and read back
 * the same after formatting it again.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/floors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key the seeds in corpus/floors/ were written for. */
static const struct floors_key key = {.cpu_model = "AMD EPYC", .kernel = "6.1.0 #1 SMP", .clock = "tsc", .cpus = "0,1"};

static void check_sane(const struct calib *c)
{
	const double ns[] = {c->clock_read_ns, c->cacheline_rtt_ns, c->cacheline_rtt_same_ns, c->futex_rtt_ns,
			     c->futex_rtt_same_ns};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (!(ns[i] > 0 && ns[i] <= FLOORS_MAX_NS))
			abort();
	for (int i = 0; i < FLOORS_NMEMCPY; i++)
		if (!(c->memcpy_gbps[i] > 0 && c->memcpy_gbps[i] <= FLOORS_MAX_GBPS) ||
		    c->memcpy_sizes[i] != floors_memcpy_bytes[i])
			abort();
	if (!(c->shm_copy_gbps > 0 && c->shm_copy_same_gbps > 0) || !c->valid)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, again[FLOORS_MAX_BYTES], err[200];
	struct calib c, back;
	int r;

	if (size >= FLOORS_MAX_BYTES)
		return 0; /* floors_load refuses larger files before parsing */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	r = floors_parse(text, &key, &c, err, sizeof(err));
	if (r != 0 && r != -EINVAL && r != -ENOENT)
		abort();
	if (r == 0) {
		check_sane(&c);
		if (floors_format(&c, &key, again, sizeof(again)) < 0 ||
		    floors_parse(again, &key, &back, err, sizeof(err)) != 0 ||
		    back.futex_rtt_same_ns != c.futex_rtt_same_ns || back.shm_copy_gbps != c.shm_copy_gbps ||
		    strcmp(back.measured_at, c.measured_at))
			abort();
	} else if (c.valid) {
		abort();
	}
	free(text);
	return 0;
}
