/*
 * precision.c - the batches, the confidence intervals and the stop rule
 * of --precision (see precision.h and docs/precision.md).
 */
#include "harness/precision.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/clock.h"

const char *prec_metric_name(enum prec_metric m)
{
	return m == PREC_BY_RATE ? "throughput" : "p50";
}

uint64_t prec_batch_ns(uint64_t duration_ns)
{
	/* at most half the batch array for the longest cell: the interval then has room */
	uint64_t per = duration_ns / (PREC_MAX_BATCHES / 2);

	return per > PREC_BATCH_NS ? per : PREC_BATCH_NS;
}

uint64_t prec_need(double q)
{
	/* a batch median is an estimate like any other: the interval over the batches judges it */
	if (q <= 0.5)
		return PREC_BATCH_MIN_SAMPLES;
	return (uint64_t)ceil(PREC_TAIL_SAMPLES / (1.0 - q) - 1e-6);
}

static void swap32(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

uint32_t prec_select(uint32_t *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n - 1e-9), lo = 0, hi = n - 1;

	k = k ? k - 1 : 0;
	if (k >= n)
		k = n - 1;
	/* Hoare-style quickselect with a median-of-three pivot */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint32_t pivot;

		if (v[mid] < v[lo])
			swap32(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap32(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap32(&v[hi], &v[mid]);
		pivot = v[mid];
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap32(&v[i], &v[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

size_t prec_median_rank(size_t n)
{
	/* the largest j with P(Bin(n, 1/2) <= j - 1) <= 2.5 %: each tail of the interval misses at most that */
	double cdf = 0;
	size_t j = 0;

	if (n < PREC_MIN_BATCHES)
		return 0;
	for (size_t k = 0; k < n; k++) {
		cdf += exp(lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) -
			   (double)n * M_LN2);
		if (cdf > 0.025)
			break;
		j = k + 1;
	}
	return j ? j : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void set_rel(struct prec_estimate *e)
{
	double up = e->hi - e->center, down = e->center - e->lo;

	e->rel = e->center > 0 ? (up > down ? up : down) / e->center : INFINITY;
	e->stated = true;
}

int prec_median_ci(const double *v, size_t n, struct prec_estimate *e)
{
	size_t j = prec_median_rank(n);
	double s[PREC_MAX_BATCHES];

	e->stated = false;
	e->nbatches = n;
	if (!j || n > PREC_MAX_BATCHES)
		return -EAGAIN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	e->center = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	e->lo = s[j - 1];
	e->hi = s[n - j];
	set_rel(e);
	return 0;
}

/* Student's t, two-sided 95 %, for 1..30 degrees of freedom. */
static const double t975[31] = {
	0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
	2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

static double t_quantile(size_t df)
{
	/* beyond 30: 1.96 plus the 1/df term of the expansion */
	return df <= 30 ? t975[df] : 1.96 + 2.4 / (double)df;
}

int prec_mean_ci(const double *v, size_t n, struct prec_estimate *e)
{
	double sum = 0, ss = 0, half;

	e->stated = false;
	e->nbatches = n;
	if (n < PREC_MIN_BATCHES)
		return -EAGAIN;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	e->center = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - e->center) * (v[i] - e->center);
	half = t_quantile(n - 1) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
	e->lo = e->center - half;
	e->hi = e->center + half;
	set_rel(e);
	return 0;
}

/* The complete batches (every batch but a last short one is complete). */
static double batch_value(const struct prec_batch *b, int which)
{
	return which == 0 ? b->p50 : which == 1 ? b->p99 : which == 2 ? b->p999 : b->rate;
}

static void estimate(const struct prec_batch *b, size_t n, int which, double q, struct prec_estimate *e)
{
	double v[PREC_MAX_BATCHES];
	size_t k = 0;
	uint64_t fewest = UINT64_MAX;

	memset(e, 0, sizeof(*e));
	e->need = which == 3 ? 1 : prec_need(q);
	for (size_t i = 0; i < n && i < PREC_MAX_BATCHES; i++) {
		double x = batch_value(&b[i], which);

		if (b[i].n < fewest)
			fewest = b[i].n;
		if (!isnan(x) && b[i].n >= e->need)
			v[k++] = x;
	}
	/* a statistic is stated only when every batch carried it */
	if (k < n || (which == 3 ? prec_mean_ci(v, k, e) : prec_median_ci(v, k, e))) {
		e->stated = false;
		e->nbatches = k;
		if (n < PREC_MIN_BATCHES)
			snprintf(e->why, sizeof(e->why), "%zu batches: a 95 %% interval needs at least %d", n,
				 PREC_MIN_BATCHES);
		else
			snprintf(e->why, sizeof(e->why), "needs %llu samples in every batch; the fewest had %llu",
				 (unsigned long long)e->need, (unsigned long long)fewest);
	}
}

void prec_summarize(const struct prec_batch *b, size_t n, struct prec_result *r)
{
	r->nbatches = n;
	estimate(b, n, 0, 0.5, &r->p50);
	estimate(b, n, 1, 0.99, &r->p99);
	estimate(b, n, 2, 0.999, &r->p999);
	estimate(b, n, 3, 0, &r->rate);
}

bool prec_should_stop(const struct prec_batch *b, size_t n, enum prec_metric m, double target, double *rel)
{
	struct prec_estimate e;

	estimate(b, n, m == PREC_BY_RATE ? 3 : 0, 0.5, &e);
	if (rel)
		*rel = e.stated ? e.rel : INFINITY;
	return e.stated && e.rel <= target;
}

/* ---- the recording child ---- */

void prec_side_start(struct prec_side *p, uint64_t now, uint64_t min_ns, uint64_t every_ns)
{
	if (!p->on)
		return;
	p->n = 0;
	p->stop = false;
	p->start = now;
	p->every = clock_ns_to_ticks(every_ns);
	p->next = now + p->every;
	p->min_end = now + clock_ns_to_ticks(min_ns);
}

void prec_side_batch(struct prec_side *p, uint64_t now)
{
	struct prec_shared *sh = p->sh;
	uint32_t k = atomic_load_explicit(&sh->nbatches, memory_order_relaxed);
	struct prec_batch *b = &sh->batch[k];
	size_t kept = p->n < PREC_BATCH_MAX_SAMPLES ? (size_t)p->n : PREC_BATCH_MAX_SAMPLES;

	if (p->n < PREC_BATCH_MIN_SAMPLES && kept < PREC_BATCH_MAX_SAMPLES)
		return; /* a slow cell: the batch goes on until it has enough samples */
	if (k >= PREC_MAX_BATCHES) {
		p->next = UINT64_MAX;
		return;
	}
	b->n = p->n;
	b->ns = clock_ticks_to_ns(now - p->start);
	b->rate = b->ns ? (double)p->n * 1e9 / (double)b->ns : 0;
	b->p50 = b->p99 = b->p999 = NAN;
	if (p->quantiles) {
		b->p50 = prec_select(p->buf, kept, 0.5);
		b->p99 = kept >= prec_need(0.99) ? prec_select(p->buf, kept, 0.99) : NAN;
		b->p999 = kept >= prec_need(0.999) ? prec_select(p->buf, kept, 0.999) : NAN;
	}
	atomic_store_explicit(&sh->nbatches, k + 1, memory_order_release);
	/* the next batch starts after this bookkeeping, which no sample saw */
	p->n = 0;
	p->start = clock_ticks();
	p->next = p->start + p->every;
	if (p->target > 0 && now >= p->min_end && !p->stop &&
	    prec_should_stop(sh->batch, k + 1, p->metric, p->target, NULL)) {
		p->stop = true;
		sh->reached = true;
		atomic_store_explicit(&sh->stop, 1, memory_order_release);
	}
}
