/*
 * clock.h - the harness's one timestamp source.
 *
 * Round trips are timed in the client around send+recv.  Where the host has
 * an invariant TSC that the kernel itself trusts (constant_tsc, nonstop_tsc
 * and clocksource "tsc"), the harness reads the TSC (rdtscp: it waits for
 * earlier instructions) and converts ticks to ns with a factor calibrated
 * against CLOCK_MONOTONIC and then checked against it.  Anywhere else it
 * reads CLOCK_MONOTONIC (never clock(), which counts CPU time).  Which one a
 * run used is recorded in every cell.
 */
#ifndef IPCBENCH_CLOCK_H
#define IPCBENCH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct clock_info {
	bool tsc;	  /* ticks are TSC cycles; else CLOCK_MONOTONIC ns */
	const char *name; /* "tsc" or "monotonic" */
	uint64_t mult;	  /* ns = (ticks * mult) >> shift */
	unsigned int shift;
	double tsc_hz;		  /* calibrated, 0 when not used */
	double check_error_ppm;	  /* the calibration check's disagreement with CLOCK_MONOTONIC */
	double read_cost_ns;	  /* one clock_ticks() call, measured */
	double mono_read_cost_ns; /* one clock_gettime(CLOCK_MONOTONIC), measured */
	char why_not_tsc[160];	  /* when tsc is false: the reason */
};

extern struct clock_info clock_info;

/* Chooses and calibrates the clock (about 60 ms).  allow_tsc=false forces monotonic. */
void clock_setup(bool allow_tsc);

static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_ticks(void)
{
#if defined(__x86_64__)
	if (clock_info.tsc) {
		unsigned int lo, hi, aux;

		__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
		return ((uint64_t)hi << 32) | lo;
	}
#endif
	return clock_mono_ns();
}

static inline uint64_t clock_ticks_to_ns(uint64_t ticks)
{
	if (!clock_info.tsc)
		return ticks;
	return (uint64_t)(((unsigned __int128)ticks * clock_info.mult) >> clock_info.shift);
}

static inline uint64_t clock_ns_to_ticks(uint64_t ns)
{
	if (!clock_info.tsc)
		return ns;
	return (uint64_t)(((unsigned __int128)ns << clock_info.shift) / clock_info.mult);
}

#endif
