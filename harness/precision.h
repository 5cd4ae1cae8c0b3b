/*
 * precision.h - cells that stop when their answer is good enough
 * (--precision PCT).
 *
 * The recording side of a cell cuts its measured phase into batches of
 * PREC_BATCH_NS (longer when a batch has fewer than PREC_BATCH_MIN_SAMPLES
 * samples, shorter when its sample buffer is full) and keeps each batch's
 * median, p99, p99.9 and rate.  After --min-duration, at every batch end,
 * it computes the 95 % confidence interval of the median from the order
 * statistics of the batch medians (a batch-medians interval:
 * distribution-free, and batches long enough to be nearly independent of
 * each other, where successive round trips are not), and stops the cell
 * once the interval lies within +-target of its centre; --duration is the
 * bound.  Stream cells stop on their throughput instead: the batch-means
 * t interval of the mean rate.  docs/precision.md explains the choices.
 *
 * The functions below the line are pure, for the tests; prec_side_* run
 * in the recording child, between two samples, outside the timed span.
 */
#ifndef IPCBENCH_PRECISION_H
#define IPCBENCH_PRECISION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREC_BATCH_NS 10000000ull    /* a batch: 10 ms ... */
#define PREC_BATCH_MIN_SAMPLES 20    /* ... and at least this many samples (the median's need, as compare's) */
#define PREC_BATCH_MAX_SAMPLES 32768 /* ... and at most this many (the buffer) */
#define PREC_MAX_BATCHES 512
#define PREC_MIN_BATCHES 6	   /* the fewest whose order statistics give a 95 % interval (2/2^6 < 5 %) */
#define PREC_WARMUP_NS 10000000ull /* with --precision the warm-up ends after 10 ms ... */
#define PREC_WARMUP_MIN 10	   /* ... and at least 10 messages, if its count is not done first */
#define PREC_TAIL_SAMPLES 10.0	   /* a quantile p needs 10 / (1 - p) samples per batch (compare's rule) */

/* One batch, as the recording side measured it. */
struct prec_batch {
	uint64_t n;	       /* samples (messages) */
	uint64_t ns;	       /* its length */
	double p50, p99, p999; /* ns; NAN when the batch has too few samples for it */
	double rate;	       /* messages (round trips) per second over the batch */
};

/* The 95 % interval of one statistic over the batches. */
struct prec_estimate {
	bool stated;	 /* false: under-sampled (why says so) */
	double center;	 /* median of the batch values (the rate: the mean) */
	double lo, hi;	 /* the interval */
	double rel;	 /* max(hi - center, center - lo) / center: the precision reached */
	size_t nbatches; /* batches that carried the statistic */
	uint64_t need;	 /* samples a batch needs for it */
	char why[120];
};

enum prec_metric { PREC_BY_P50, PREC_BY_RATE };

/* A cell's precision, as the result records it. */
struct prec_result {
	bool on;
	double target;		 /* fraction: 0.03 for 3 % */
	enum prec_metric metric; /* what the stop rule watched */
	bool reached;		 /* the watched interval is within +-target */
	bool hit_bound;		 /* --duration ended a repetition before that */
	size_t nbatches;
	uint64_t batch_ns; /* the batch length asked for */
	struct prec_estimate p50, p99, p999, rate;
};

/* In the page the parent and both children share (side.h's struct ctl). */
struct prec_shared {
	_Alignas(64) _Atomic int stop; /* recorder -> sender: the precision is reached */
	_Atomic uint32_t nbatches;     /* batches written (release: batch[] before it) */
	_Atomic uint64_t warmup_end;   /* the first measured message (side.h: side_warmup_*) */
	bool reached;
	struct prec_batch batch[PREC_MAX_BATCHES];
};

/* The recording child's batch state (in side.h's struct side_ctx). */
struct prec_side {
	bool on;
	bool quantiles; /* keep samples for the batch quantiles (pingpong); else rates only */
	bool stop;	/* the precision is reached: end the measured phase */
	double target;
	enum prec_metric metric;
	struct prec_shared *sh;
	uint32_t *buf;			      /* PREC_BATCH_MAX_SAMPLES */
	uint64_t n;			      /* samples in the current batch */
	uint64_t start, next, every, min_end; /* ticks */
};

/* ---- pure ---- */

const char *prec_metric_name(enum prec_metric m); /* "p50", "throughput" */

/* The batch length for a cell bounded by duration_ns: PREC_BATCH_NS, longer for long cells. */
uint64_t prec_batch_ns(uint64_t duration_ns);

/* Samples a batch needs for quantile q: PREC_BATCH_MIN_SAMPLES for the median, 10 / (1 - q) for a tail. */
uint64_t prec_need(double q);

/*
 * The value of rank ceil(q * n) (1-based, as HdrHistogram's percentile)
 * among v[0..n), reordering v (quickselect).  n > 0.
 */
uint32_t prec_select(uint32_t *v, size_t n, double q);

/*
 * 1-based rank j of the 95 % order-statistic interval of the median of n
 * values: [x(j), x(n+1-j)] covers the median with probability >= 95 %.
 * 0 when n < PREC_MIN_BATCHES.
 */
size_t prec_median_rank(size_t n);

/* Interval of the median of v[0..n) (a copy is sorted): 0, or -EAGAIN with too few values. */
int prec_median_ci(const double *v, size_t n, struct prec_estimate *e);

/* Batch-means t interval of the mean of v[0..n): 0, or -EAGAIN with fewer than PREC_MIN_BATCHES. */
int prec_mean_ci(const double *v, size_t n, struct prec_estimate *e);

/* Every estimate of r from batches b[0..n) (the flags on, target, metric, reached, hit_bound are kept). */
void prec_summarize(const struct prec_batch *b, size_t n, struct prec_result *r);

/* The stop rule: the watched interval over b[0..n) within +-target.  *rel (may be NULL): the precision now. */
bool prec_should_stop(const struct prec_batch *b, size_t n, enum prec_metric m, double target, double *rel);

/* ---- in the recording child ---- */

/* Starts the batches at the measured start (ticks); min_ns: --min-duration; every_ns: the batch length. */
void prec_side_start(struct prec_side *p, uint64_t now, uint64_t min_ns, uint64_t every_ns);
/* Ends the current batch at now: its statistics into p->sh, then the stop rule. */
void prec_side_batch(struct prec_side *p, uint64_t now);

/* After each recorded sample: one predictable branch when off. */
static inline void prec_side_sample(struct prec_side *p, int64_t ns, uint64_t now)
{
	if (!p->on)
		return;
	if (p->quantiles && p->n < PREC_BATCH_MAX_SAMPLES)
		p->buf[p->n] = ns > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	p->n++;
	if (__builtin_expect(now >= p->next, 0) || (p->quantiles && p->n >= PREC_BATCH_MAX_SAMPLES))
		prec_side_batch(p, now);
}

#endif
