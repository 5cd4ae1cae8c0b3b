/*
 * histfix.h - what the HDR test suites share (see histfix.c).
 */
#ifndef IPCBENCH_TESTS_HISTFIX_H
#define IPCBENCH_TESTS_HISTFIX_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hdr/hist.h"

#define H9 3600000000LL
#define H12 3600000000000LL

/* A file of tests/fixtures/hist/ (NUL-terminated, malloc'd); its first line. */
char *hfix_read(const char *name, size_t *len);
char *hfix_read_line(const char *name);
/* hist_init, failing the test when it fails. */
void hfix_init(struct hist *h, int64_t lowest, int64_t highest, int digits);
/* Fails the test unless a and b hold the same counts, total, min and max. */
void hfix_same_counts(const struct hist *a, const struct hist *b);

/* The value sets of GenFixtures.java, reproduced exactly, by name. */
#define HFIX_NSETS 12
extern const char *const hfix_sets[HFIX_NSETS];
void hfix_make(const char *name, struct hist *h);
void hfix_check_summary(const char *set, const struct hist *h);

/* The generator the sets are made with (a 64-bit LCG, its state public). */
extern uint64_t hfix_lcg_state;
int64_t hfix_lcg_next(void);

#endif
