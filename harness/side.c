/*
 * side.c - a side's whole life in its own process (see side.h): its
 * failures, its cost and thread count, its interval snapshots, its CPU,
 * its buffers, --precision's batches, and the pattern loop between attach
 * and detach.  The parent's side of a cell is driver.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/side.h"

int side_fail(struct side_ctx *s, int err, const char *fmt, ...)
{
	typeof(s->ctl->side[0]) *sd = &s->ctl->side[side_slot(s)];
	va_list ap;

	if (sd->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(sd->msg, sizeof(sd->msg), fmt, ap);
	va_end(ap);
	sd->err = err > 0 ? err : EIO;
	return -1;
}

int side_transport_fail(struct side_ctx *s, int r, const char *what, uint64_t seq)
{
	const char *detail = s->ch->errmsg[0] ? s->ch->errmsg : strerror(-r);

	return side_fail(s, -r, "%s message %llu: %s", what, (unsigned long long)seq, detail);
}

static void rusage_diff(const struct rusage *a, const struct rusage *b, struct side_cost *c)
{
	c->user_sec = (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec) +
		      (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec) / 1e6;
	c->sys_sec = (double)(b->ru_stime.tv_sec - a->ru_stime.tv_sec) +
		     (double)(b->ru_stime.tv_usec - a->ru_stime.tv_usec) / 1e6;
	c->voluntary_cs = b->ru_nvcsw - a->ru_nvcsw;
	c->involuntary_cs = b->ru_nivcsw - a->ru_nivcsw;
}

void side_cost_begin(struct side_ctx *s)
{
	getrusage(RUSAGE_SELF, &s->ru0);
}

/*
 * The threads of this process (the "Threads:" line of /proc/self/status),
 * 0 when it cannot be read: a library that runs its own threads (gRPC,
 * sd-bus's none, ZeroMQ's I/O threads) shows them here.
 */
static int side_thread_count(void)
{
	char buf[4096], *p;
	ssize_t n;
	long v;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:");
	if (!p)
		return 0;
	v = strtol(p + 9, NULL, 10);
	return v > 0 && v < 1000000 ? (int)v : 0;
}

void side_cost_end(struct side_ctx *s)
{
	struct rusage ru1;

	getrusage(RUSAGE_SELF, &ru1);
	rusage_diff(&s->ru0, &ru1, &s->ctl->side[side_slot(s)].cost);
	s->ctl->side[side_slot(s)].cost.threads = side_thread_count();
	s->ctl->side[side_slot(s)].cost.max_rss_kb = ru1.ru_maxrss;
	s->ctl->side[side_slot(s)].have_cost = true;
}

void side_snap_start(struct side_ctx *s, uint64_t now)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->ctl->start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	s->snap_start = now;
	s->snap_next = UINT64_MAX;
	if (s->cfg->interval_ns && s->snap_mem && s->hist) {
		s->snap_every = clock_ns_to_ticks(s->cfg->interval_ns);
		s->snap_next = now + s->snap_every;
	}
	prec_side_start(&s->prec, now, s->cfg->min_duration_ns, prec_batch_ns(s->cfg->duration_ns));
}

/* Outside the timed span: copies the cumulative counts (a memcpy per interval). */
void side_snap_take(struct side_ctx *s, uint64_t now)
{
	struct ctl *ctl = s->ctl;
	uint32_t k = ctl->nsnaps;

	if (k >= HARNESS_MAX_INTERVALS - 1) {
		s->snap_next = UINT64_MAX; /* the last interval takes the rest */
		return;
	}
	memcpy(s->snap_mem + (size_t)k * side_counts_bytes(), s->hist->counts, side_counts_bytes());
	ctl->snap_end_ns[k] = clock_ticks_to_ns(now - s->snap_start);
	ctl->nsnaps = k + 1;
	s->snap_next += s->snap_every;
	if (s->snap_next <= now)
		s->snap_next = now + s->snap_every;
}

static const struct pattern_loops *loops_for(enum pattern p)
{
	switch (p) {
	case PATTERN_STREAM:
		return &stream_loops;
	case PATTERN_RATE:
		return &rate_loops;
	case PATTERN_UNDERLOAD:
		return &underload_loops;
	default:
		return &pingpong_loops;
	}
}

static int pin_to(struct side_ctx *s, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return side_fail(s, errno, "sched_setaffinity cpu %d: %s", cpu, strerror(errno));
	return 0;
}

static uint8_t *alloc_buf(size_t len)
{
	size_t sz = ((len ? len : 1) + 4095) & ~(size_t)4095; /* size 0: a page, never touched */
	uint8_t *p = aligned_alloc(4096, sz);

	if (p)
		memset(p, 0, sz); /* fault the pages in before measuring */
	return p;
}

/* The parent handles interruption for both children; a dead peer's pipe is an error, not a signal. */
void side_ignore_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	struct sigaction sa = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* The recording side's batches for --precision (open-loop rate cells keep their schedule). */
static int prec_side_setup(struct side_ctx *s)
{
	const struct cell_config *cfg = s->cfg;
	struct prec_side *p = &s->prec;

	/* batches also feed the progress reports of a fixed-length cell (without a stop rule) */
	if ((cfg->precision <= 0 && !cfg->on_progress) || cfg->pattern == PATTERN_RATE)
		return 0;
	p->quantiles = cfg->pattern == PATTERN_PINGPONG;
	p->metric = p->quantiles ? PREC_BY_P50 : PREC_BY_RATE;
	p->target = cfg->precision;
	p->sh = &s->ctl->prec;
	if (p->quantiles) {
		p->buf = malloc(PREC_BATCH_MAX_SAMPLES * sizeof(*p->buf));
		if (!p->buf)
			return side_fail(s, ENOMEM, "allocating the precision batch buffer");
		memset(p->buf, 0, PREC_BATCH_MAX_SAMPLES * sizeof(*p->buf)); /* fault it in before measuring */
	}
	p->on = true;
	return 0;
}

int side_main(struct side_ctx *s, void *counts)
{
	const struct cell_config *cfg = s->cfg;
	const struct pattern_loops *loops = s->loops ? s->loops : loops_for(cfg->pattern);
	static struct hist h; /* the side never returns to its caller's caller: static outlives this frame */
	bool records = !s->flood && (s->role == CHAN_SERVER) == loops->server_records;
	int r;

	if (pin_to(s, s->role == CHAN_CLIENT ? cfg->client_cpu : cfg->server_cpu))
		return 1;
	s->sbuf = alloc_buf(s->len);
	/* a one-way sender never receives: at 256 MiB that buffer would be a quarter of the cell's memory */
	s->rbuf = s->role == CHAN_CLIENT && (cfg->pattern == PATTERN_STREAM || cfg->pattern == PATTERN_RATE)
			  ? s->sbuf
			  : alloc_buf(s->len);
	if (!s->sbuf || !s->rbuf) {
		side_fail(s, ENOMEM, "allocating two %zu-byte buffers", s->len);
		return 1;
	}
	payload_fill(s->sbuf, s->len);
	if (records && prec_side_setup(s))
		return 1;
	if (records) {
		hist_init_mem(&h, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS, counts);
		s->hist = &h;
	}
	s->ch->background = s->flood;
	r = chan_attach(s->ch, s->role);
	if (r) {
		side_fail(s, -r, "attach (%s): %s",
			  s->flood		   ? "background sender"
			  : s->role == CHAN_CLIENT ? "client"
						   : "server",
			  s->ch->errmsg[0] ? s->ch->errmsg : strerror(-r));
		return 1;
	}
	if (s->gate && s->role == CHAN_CLIENT && !s->flood)
		side_gate_wait(s);
	r = s->flood ? underload_flood(s) : s->role == CHAN_CLIENT ? loops->client(s) : loops->server(s);
	if (records) {
		s->ctl->hist = h;
		s->ctl->hist.counts = NULL;
	}
	memcpy(s->ctl->side[side_slot(s)].counters, s->ch->counters, sizeof(s->ch->counters));
	chan_detach(s->ch);
	return r ? 1 : 0;
}

void side_child_main(struct side_ctx *s, void *counts, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	side_ignore_signals();
	_exit(side_main(s, counts));
}
