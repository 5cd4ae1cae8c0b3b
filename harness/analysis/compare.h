/*
 * compare.h - regression comparison of two sets of result files (base and
 * new, each one or more files of the same machine).  Pure logic: matches
 * cells by their identity, checks that they were measured the same way,
 * and per cell and metric computes the median over repetitions, its
 * spread, the relative change, a two-sided Mann-Whitney U test over the
 * repetitions and a verdict.  Nothing here prints; compare_out.c
 * renders the result.  docs/ci.md explains the statistics.
 */
#ifndef IPCBENCH_COMPARE_H
#define IPCBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/analysis/resultfile.h"

enum compare_metric {
	COMPARE_P50,
	COMPARE_P99,
	COMPARE_P999,
	COMPARE_MEAN,
	COMPARE_ROUND_TRIPS, /* round_trips_per_sec: pingpong cells */
	COMPARE_MSGS,	     /* msgs_per_sec: stream and rate cells */
	COMPARE_BYTES,	     /* bytes_per_sec: stream and rate cells */
	COMPARE_METRIC__COUNT
};

#define COMPARE_ALL_METRICS ((1u << COMPARE_METRIC__COUNT) - 1)

enum compare_verdict {
	COMPARE_UNCHANGED, /* |change| within the threshold */
	COMPARE_IMPROVED,
	COMPARE_REGRESSED,    /* gated: significant, beyond threshold and noise, worse */
	COMPARE_INCONCLUSIVE, /* beyond the threshold, but not significant or within the noise */
	COMPARE_INSUFFICIENT, /* too few repetitions or tail samples to test */
	COMPARE_INCOMPARABLE, /* on one side only, or measured differently */
	COMPARE_FAILED,	      /* gated: new fails repetitions of a cell whose base repetitions pass */
	COMPARE_VERDICT__COUNT
};

struct compare_options {
	double threshold;     /* practical threshold, a fraction: 0.10 = 10% */
	double alpha;	      /* significance level of the two-sided test */
	double noise_factor;  /* |change| must exceed this x the larger relative MAD of the two sides */
	unsigned int metrics; /* bit mask of 1u << enum compare_metric */
	bool holm;	      /* Holm-Bonferroni over all tested comparisons (default) */
	size_t min_reps;      /* fewer repetitions on a side: insufficient */
	size_t warn_reps;     /* fewer: a warning (Google Benchmark warns below 9) */
	bool allow_different_machines;
};

/* Default threshold, alpha, noise factor; docs/ci.md says why. */
#define COMPARE_DEFAULT_THRESHOLD 0.10
#define COMPARE_DEFAULT_ALPHA 0.05
#define COMPARE_DEFAULT_NOISE_FACTOR 2.0
#define COMPARE_MIN_REPS 3
#define COMPARE_WARN_REPS 9
/* A percentile p needs this many samples / (1 - p) in every repetition. */
#define COMPARE_TAIL_SAMPLES 10.0
/* Both sides up to this many repetitions: exact test; above: normal approximation. */
#define COMPARE_EXACT_MAX 20

/* One side's values of one metric over its repetitions. */
struct compare_stats {
	size_t n;
	double median, min, max, q1, q3;
	double rel_mad;	     /* 1.4826 * MAD / median: a robust coefficient of variation */
	int64_t min_samples; /* fewest latency samples in one repetition */
};

struct compare_metric_result {
	bool present;			 /* the metric applies to this cell */
	struct compare_stats base, cand; /* cand: the new side */
	double change;			 /* (new - base) / base; NAN when undefined */
	double p;			 /* two-sided p-value; NAN when not computed */
	double p_adj;			 /* p after the Holm correction (p itself without it) */
	bool exact;			 /* p from the exact distribution */
	bool tested;			 /* enough samples: part of the family the correction counts */
	enum compare_verdict verdict;
	char why[128]; /* one short clause saying why */
};

/*
 * A cell present on at least one side.  base/cand point at the first
 * matching cell of each side (NULL when absent) inside the result files,
 * which must outlive the result.
 */
struct compare_cell {
	const struct rf_cell *base, *cand;
	enum compare_verdict verdict;	 /* the cell's: the most telling of its metrics */
	char reason[200];		 /* why it is incomparable or failed, or a note on failed repetitions */
	size_t base_reps, cand_reps;	 /* ok repetitions used */
	size_t base_failed, cand_failed; /* repetitions that were not ok (left out) */
	struct compare_metric_result m[COMPARE_METRIC__COUNT];
};

/* One environment fact of both sides. */
struct compare_env {
	const char *field; /* "cpu_model", "kernel", ... */
	char base[160], cand[160];
	bool differs;
	bool machine; /* part of the machine's identity */
};

#define COMPARE_NENV 11
#define COMPARE_MAX_WARNINGS 8

struct compare_result {
	struct compare_env env[COMPARE_NENV];
	bool different_machines; /* a machine fact differs */
	bool refused;		 /* different machines and not allowed: not gated */
	size_t ncells;
	struct compare_cell *cells;
	size_t ncommon;				      /* cells on both sides (comparable or not) */
	size_t cell_counts[COMPARE_VERDICT__COUNT];   /* cells by verdict */
	size_t metric_counts[COMPARE_VERDICT__COUNT]; /* cell x metric comparisons by verdict */
	size_t regressions;			      /* gated regressed comparisons */
	size_t failed;				      /* gated failed cells */
	size_t ntested;				      /* comparisons tested: the family size of the correction */
	size_t nwarnings;
	char warnings[COMPARE_MAX_WARNINGS][200];
};

void compare_options_init(struct compare_options *o);

/*
 * Compares base[0..nbase) with cand[0..ncand).  Several files per side
 * are pooled: their repetitions of a cell are taken together.  Returns 0,
 * or -EINVAL with err naming the file when one side mixes machines.
 */
int compare_run(const struct result_file *base, size_t nbase, const struct result_file *cand, size_t ncand,
		const struct compare_options *opt, struct compare_result *res, char *err, size_t errlen);
void compare_result_release(struct compare_result *res);

const char *compare_metric_name(enum compare_metric m);	     /* "p50", "p99.9", "msgs_per_sec" */
int compare_metric_parse(const char *s, unsigned int *mask); /* one name, "throughput" or "all" */
bool compare_metric_is_latency(enum compare_metric m);	     /* lower is better; ns */
const char *compare_verdict_name(enum compare_verdict v);    /* "insufficient samples" */
const char *compare_verdict_id(enum compare_verdict v);	     /* "insufficient_samples" */

/* ---- the statistics, exported for the tests ---- */

/* Sorts v in place and fills st (n, median, min, max, quartiles, rel_mad). */
void compare_stats_of(double *v, size_t n, struct compare_stats *st);
/*
 * Two-sided Mann-Whitney U test of x[0..n) against y[0..m): the exact
 * permutation distribution of the rank sum (midranks for ties) when both
 * n and m are at most COMPARE_EXACT_MAX, else the normal approximation
 * with tie and continuity corrections.  NAN when n or m is 0.
 */
double compare_mann_whitney(const double *x, size_t n, const double *y, size_t m, bool *exact);
/* The smallest two-sided p-value n against m repetitions can give: 2 / C(n+m, n). */
double compare_min_p(size_t n, size_t m);
/* Holm's step-down adjusted p-values of p[0..n) into adj[0..n) (in place allowed). */
int compare_holm(const double *p, size_t n, double *adj);

#endif
