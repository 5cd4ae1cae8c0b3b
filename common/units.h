/*
 * units.h - how every number with a unit is printed, in the terminal, the
 * charts and the report alike: three significant digits, the unit chosen
 * from the value, "-" for a value that is not finite.
 */
#ifndef IPCBENCH_UNITS_H
#define IPCBENCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

enum units_style {
	UNITS_ASCII, /* "12.3 us": fixed-width terminal columns */
	UNITS_TEXT,  /* "12.3 µs": charts and HTML */
};

/* A duration in nanoseconds: "850 ns", "12.3 us", "4.5 ms", "2 s". */
void units_ns(double ns, enum units_style style, char *out, size_t outlen);
/* A size in bytes: "64 B", "4 KiB", "1 MiB" (binary units only when exact). */
void units_bytes(int64_t bytes, char *out, size_t outlen);
/*
 * A rate with an SI prefix (k, M, G, T) between sep and unit:
 * units_si(23600, "", "", ...) gives "23.6k", units_si(5.5e9, " ", "B/s", ...)
 * "5.5 GB/s".
 */
void units_si(double v, const char *sep, const char *unit, char *out, size_t outlen);

#endif
