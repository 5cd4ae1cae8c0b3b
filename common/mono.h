/*
 * mono.h - CLOCK_MONOTONIC for deadlines and timeouts, in one place.
 * (Measured time is taken by the engine's clock.h, which may use the TSC.)
 */
#ifndef IPCBENCH_MONO_H
#define IPCBENCH_MONO_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_ms(void)
{
	return mono_ns() / 1000000u;
}

/* The CLOCK_MONOTONIC time ms milliseconds from now, for sem_clockwait and friends. */
static inline struct timespec mono_deadline(uint64_t ms)
{
	uint64_t t = mono_ns() + ms * 1000000u;

	return (struct timespec){.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
}

#endif
