/*
 * clock.c - choose, calibrate and check the timestamp source (see clock.h).
 */
#include "harness/clock.h"

#include <stdio.h>
#include <string.h>

struct clock_info clock_info = {.tsc = false, .name = "monotonic"};

#if defined(__x86_64__)
static bool cpu_has_flags(char *why, size_t whylen)
{
	char line[8192];
	bool constant = false, nonstop = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f) {
		snprintf(why, whylen, "/proc/cpuinfo unreadable");
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		constant = strstr(line, " constant_tsc") != NULL;
		nonstop = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	if (!constant || !nonstop) {
		snprintf(why, whylen, "the CPU lacks %s", !constant ? "constant_tsc" : "nonstop_tsc");
		return false;
	}
	return true;
}

static bool kernel_trusts_tsc(char *why, size_t whylen)
{
	char cs[64] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");

	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	cs[strcspn(cs, "\n")] = 0;
	if (strcmp(cs, "tsc")) {
		snprintf(why, whylen, "the kernel's clocksource is \"%s\", not tsc (TSC not trusted across CPUs)",
			 cs[0] ? cs : "unknown");
		return false;
	}
	return true;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = clock_mono_ns() + ns;

	while (clock_mono_ns() < end)
		;
}

/* Reads (mono, tsc) with the tightest bracket of a few tries. */
static void paired_read(uint64_t *mono, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;

	clock_info.tsc = true;
	for (int i = 0; i < 16; i++) {
		uint64_t a = clock_ticks(), m = clock_mono_ns(), b = clock_ticks();

		if (b - a < best) {
			best = b - a;
			*mono = m;
			*tsc = a + (b - a) / 2;
		}
	}
}

static bool calibrate(char *why, size_t whylen)
{
	uint64_t m0, t0, m1, t1, m2, t2;
	double hz, pred, err;

	paired_read(&m0, &t0);
	spin_ns(40000000);
	paired_read(&m1, &t1);
	hz = (double)(t1 - t0) * 1e9 / (double)(m1 - m0);
	if (hz < 1e8 || hz > 1e11) {
		snprintf(why, whylen, "TSC calibration gave %.0f Hz", hz);
		return false;
	}
	/* ns = ticks * mult >> shift, with 32 fractional bits */
	clock_info.shift = 32;
	clock_info.mult = (uint64_t)(1e9 / hz * 4294967296.0 + 0.5);
	clock_info.tsc_hz = hz;
	/* check on a fresh interval */
	spin_ns(20000000);
	paired_read(&m2, &t2);
	pred = (double)clock_ticks_to_ns(t2 - t1);
	err = (pred - (double)(m2 - m1)) / (double)(m2 - m1) * 1e6;
	clock_info.check_error_ppm = err;
	if (err > 1000 || err < -1000) {
		snprintf(why, whylen, "TSC disagrees with CLOCK_MONOTONIC by %.0f ppm", err);
		return false;
	}
	return true;
}
#endif

static double measure_cost(uint64_t (*fn)(void))
{
	uint64_t start, end, sink = 0;
	const int n = 200000;

	start = clock_mono_ns();
	for (int i = 0; i < n; i++)
		sink += fn();
	end = clock_mono_ns();
	__asm__ __volatile__("" : : "r"(sink));
	return (double)(end - start) / n;
}

void clock_setup(bool allow_tsc)
{
	struct clock_info *ci = &clock_info;
	bool ok = false;

	ci->tsc = false;
	ci->name = "monotonic";
	ci->why_not_tsc[0] = 0;
#if defined(__x86_64__)
	if (!allow_tsc)
		snprintf(ci->why_not_tsc, sizeof(ci->why_not_tsc), "disabled by --clock monotonic");
	else if (cpu_has_flags(ci->why_not_tsc, sizeof(ci->why_not_tsc)) &&
		 kernel_trusts_tsc(ci->why_not_tsc, sizeof(ci->why_not_tsc)) &&
		 calibrate(ci->why_not_tsc, sizeof(ci->why_not_tsc)))
		ok = true;
#else
	snprintf(ci->why_not_tsc, sizeof(ci->why_not_tsc), "not an x86-64 host");
#endif
	ci->tsc = ok;
	ci->name = ok ? "tsc" : "monotonic";
	if (!ok)
		ci->tsc_hz = 0;
	ci->mono_read_cost_ns = measure_cost(clock_mono_ns);
	ci->read_cost_ns = measure_cost(clock_ticks);
}
