/*
 * units.c - the number formatters behind units.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "common/units.h"

void units_ns(double ns, enum units_style style, char *out, size_t outlen)
{
	const char *us = style == UNITS_TEXT ? "µs" : "us";

	if (!isfinite(ns))
		snprintf(out, outlen, "-");
	else if (ns < 1e3)
		snprintf(out, outlen, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(out, outlen, "%.3g %s", ns / 1e3, us);
	else if (ns < 1e9)
		snprintf(out, outlen, "%.3g ms", ns / 1e6);
	else
		snprintf(out, outlen, "%.3g s", ns / 1e9);
}

void units_bytes(int64_t b, char *out, size_t outlen)
{
	if (b >= ((int64_t)1 << 20) && b % ((int64_t)1 << 20) == 0)
		snprintf(out, outlen, "%" PRId64 " MiB", b >> 20);
	else if (b >= 1024 && b % 1024 == 0)
		snprintf(out, outlen, "%" PRId64 " KiB", b >> 10);
	else
		snprintf(out, outlen, "%" PRId64 " B", b);
}

void units_si(double v, const char *sep, const char *unit, char *out, size_t outlen)
{
	static const char *const prefix[] = {"", "k", "M", "G", "T"};
	int i = 0;

	if (!isfinite(v)) {
		snprintf(out, outlen, "-");
		return;
	}
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(out, outlen, "%.3g%s%s%s", v, sep, prefix[i], unit);
}
