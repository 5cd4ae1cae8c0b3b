/*
 * compare_stats.c - the statistics of compare.h: medians, quartiles and
 * the relative MAD of one side, the two-sided Mann-Whitney U test (exact
 * for small samples, else the normal approximation) and Holm's step-down
 * correction.  docs/ci.md explains the choices.
 */
#include "harness/analysis/compare.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* MAD * 1.4826 estimates the standard deviation of a normal sample. */
#define MAD_TO_SIGMA 1.4826

/* ---- descriptive statistics ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile of sorted v by linear interpolation between order statistics (R's type 7). */
static double quantile(const double *v, size_t n, double q)
{
	double h = q * (double)(n - 1);
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

void compare_stats_of(double *v, size_t n, struct compare_stats *st)
{
	double *dev;

	memset(st, 0, sizeof(*st));
	st->n = n;
	st->median = st->min = st->max = st->q1 = st->q3 = st->rel_mad = NAN;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	st->min = v[0];
	st->max = v[n - 1];
	st->median = quantile(v, n, 0.5);
	st->q1 = quantile(v, n, 0.25);
	st->q3 = quantile(v, n, 0.75);
	dev = malloc(n * sizeof(*dev));
	if (!dev)
		return;
	for (size_t i = 0; i < n; i++)
		dev[i] = fabs(v[i] - st->median);
	qsort(dev, n, sizeof(*dev), cmp_double);
	st->rel_mad = st->median != 0 ? MAD_TO_SIGMA * quantile(dev, n, 0.5) / fabs(st->median) : NAN;
	free(dev);
}

/* ---- Mann-Whitney U ---- */

struct ranked {
	double v;
	bool is_x;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/*
 * Doubled midranks (integers: a tie group over 1-based positions a..b has
 * midrank (a+b)/2) into rank2[], in sorted order; returns sum of t^3 - t
 * over tie groups, and the doubled rank sum of x in *w2.
 */
static double midranks(struct ranked *r, size_t total, long *rank2, long *w2)
{
	double ties = 0;
	size_t i = 0;

	qsort(r, total, sizeof(*r), cmp_ranked);
	*w2 = 0;
	while (i < total) {
		size_t j = i + 1;

		while (j < total && r[j].v == r[i].v)
			j++;
		for (size_t k = i; k < j; k++) {
			rank2[k] = (long)(i + 1 + j);
			if (r[k].is_x)
				*w2 += rank2[k];
		}
		ties += (double)(j - i) * (double)(j - i) * (double)(j - i) - (double)(j - i);
		i = j;
	}
	return ties;
}

/*
 * Exact: counts, over every way of choosing n of the N ranks, the doubled
 * rank sums (a knapsack over the midranks, so ties are handled exactly),
 * then the share at least as far from the mean as the one observed.
 */
static double exact_p(const long *rank2, size_t total, size_t n, long w2)
{
	long smax = (long)(total * (total + 1)), mean2 = (long)(n * (total + 1)), dobs = labs(w2 - mean2);
	double *cnt = calloc((n + 1) * (size_t)(smax + 1), sizeof(*cnt)), all = 0, tail = 0;

	if (!cnt)
		return NAN;
	cnt[0] = 1;
	for (size_t i = 0; i < total; i++) {
		size_t kmax = i + 1 < n ? i + 1 : n;

		for (size_t k = kmax; k >= 1; k--) {
			double *row = cnt + k * (size_t)(smax + 1), *prev = row - (smax + 1);

			for (long s = smax; s >= rank2[i]; s--)
				row[s] += prev[s - rank2[i]];
		}
	}
	for (long s = 0; s <= smax; s++) {
		double c = cnt[n * (size_t)(smax + 1) + (size_t)s];

		all += c;
		if (labs(s - mean2) >= dobs)
			tail += c;
	}
	free(cnt);
	return all > 0 ? fmin(1.0, tail / all) : NAN;
}

/* Normal approximation of U with the tie-corrected variance and a continuity correction. */
static double normal_p(size_t n, size_t m, long w2, double ties)
{
	double nn = (double)n, mm = (double)m, tot = nn + mm;
	double u = (double)w2 / 2 - nn * (nn + 1) / 2, mu = nn * mm / 2;
	double var = nn * mm / 12 * ((tot + 1) - ties / (tot * (tot - 1)));
	double z;

	if (var <= 0)
		return 1.0;
	z = (fabs(u - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	return fmin(1.0, erfc(z / M_SQRT2));
}

double compare_mann_whitney(const double *x, size_t n, const double *y, size_t m, bool *exact)
{
	size_t total = n + m;
	struct ranked *r;
	long *rank2, w2;
	double ties, p;

	if (exact)
		*exact = false;
	if (!n || !m)
		return NAN;
	r = malloc(total * sizeof(*r));
	rank2 = malloc(total * sizeof(*rank2));
	if (!r || !rank2) {
		free(r);
		free(rank2);
		return NAN;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){x[i], true};
	for (size_t i = 0; i < m; i++)
		r[n + i] = (struct ranked){y[i], false};
	ties = midranks(r, total, rank2, &w2);
	if (n <= COMPARE_EXACT_MAX && m <= COMPARE_EXACT_MAX) {
		p = exact_p(rank2, total, n, w2);
		if (exact)
			*exact = true;
	} else {
		p = normal_p(n, m, w2, ties);
	}
	free(r);
	free(rank2);
	return p;
}

double compare_min_p(size_t n, size_t m)
{
	double c = 1;

	/* C(n+m, n) built up as a product; exact enough for a threshold */
	for (size_t i = 1; i <= n; i++)
		c = c * (double)(m + i) / (double)i;
	return fmin(1.0, 2.0 / c);
}

struct pidx {
	double p;
	size_t i;
};

static int cmp_pidx(const void *a, const void *b)
{
	const struct pidx *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int compare_holm(const double *p, size_t n, double *adj)
{
	struct pidx *v = malloc((n ? n : 1) * sizeof(*v));
	double run = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct pidx){p[i], i};
	qsort(v, n, sizeof(*v), cmp_pidx);
	/* the k-th smallest (from 0) is multiplied by n - k; adjusted values never decrease */
	for (size_t k = 0; k < n; k++) {
		double a = fmin(1.0, (double)(n - k) * v[k].p);

		run = fmax(run, a);
		adj[v[k].i] = run;
	}
	free(v);
	return 0;
}
