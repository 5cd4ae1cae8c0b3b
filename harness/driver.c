/*
 * driver.c - runs one cell: probe, create, fork the server and the client,
 * watch them, reap them, destroy, collect (see harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/side.h"

static volatile sig_atomic_t stop_signal;

void harness_interrupt(int sig)
{
	stop_signal = sig;
}

int harness_interrupted(void)
{
	return stop_signal;
}

static const char *const pattern_names[PATTERN__COUNT] = {"pingpong", "stream", "rate"};

const char *pattern_name(enum pattern p)
{
	return (unsigned)p < PATTERN__COUNT ? pattern_names[p] : "?";
}

int pattern_parse(const char *s, enum pattern *p)
{
	for (int i = 0; i < PATTERN__COUNT; i++) {
		if (!strcmp(s, pattern_names[i])) {
			*p = (enum pattern)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cell_status_name(enum cell_status s)
{
	static const char *const n[] = {"ok", "skipped", "error", "interrupted"};

	return (unsigned)s < 4 ? n[s] : "?";
}

const char *wait_name(enum chan_wait w)
{
	return w == CHAN_WAIT_SPIN ? "spin" : "block";
}

/* ---- the children's side ---- */

int side_fail(struct side_ctx *s, int err, const char *fmt, ...)
{
	typeof(s->ctl->side[0]) *sd = &s->ctl->side[s->role];
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

void side_cost_end(struct side_ctx *s)
{
	struct rusage ru1;

	getrusage(RUSAGE_SELF, &ru1);
	rusage_diff(&s->ru0, &ru1, &s->ctl->side[s->role].cost);
	s->ctl->side[s->role].have_cost = true;
}

static size_t counts_bytes(void)
{
	return hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
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
	memcpy(s->snap_mem + (size_t)k * counts_bytes(), s->hist->counts, counts_bytes());
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
	size_t sz = (len + 4095) & ~(size_t)4095;
	uint8_t *p = aligned_alloc(4096, sz);

	if (p)
		memset(p, 0, sz); /* fault the pages in before measuring */
	return p;
}

/* The parent handles interruption for both children; a dead peer's pipe is an error, not a signal. */
static void ignore_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	struct sigaction sa = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void child_main(struct side_ctx *s, void *counts, pid_t parent)
{
	const struct cell_config *cfg = s->cfg;
	const struct pattern_loops *loops = loops_for(cfg->pattern);
	static struct hist h; /* the child never returns: static only to say it outlives this frame */
	bool records = (s->role == CHAN_SERVER) == loops->server_records;
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	ignore_signals();
	if (pin_to(s, s->role == CHAN_CLIENT ? cfg->client_cpu : cfg->server_cpu))
		_exit(1);
	s->sbuf = alloc_buf(s->len);
	s->rbuf = alloc_buf(s->len);
	if (!s->sbuf || !s->rbuf) {
		side_fail(s, ENOMEM, "allocating two %zu-byte buffers", s->len);
		_exit(1);
	}
	payload_fill(s->sbuf, s->len);
	if (records) {
		hist_init_mem(&h, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS, counts);
		s->hist = &h;
	}
	r = chan_attach(s->ch, s->role);
	if (r) {
		side_fail(s, -r, "attach (%s): %s", s->role == CHAN_CLIENT ? "client" : "server",
			  s->ch->errmsg[0] ? s->ch->errmsg : strerror(-r));
		_exit(1);
	}
	r = s->role == CHAN_CLIENT ? loops->client(s) : loops->server(s);
	if (records) {
		s->ctl->hist = h;
		s->ctl->hist.counts = NULL;
	}
	chan_detach(s->ch);
	_exit(r ? 1 : 0);
}

/* ---- the parent's side ---- */

struct child {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool killed; /* by the parent: not a failure of its own */
	int status;
};

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

static void reap(struct child *c, bool block)
{
	int st;

	if (c->reaped || c->pid <= 0)
		return;
	if (waitpid(c->pid, &st, block ? 0 : WNOHANG) == c->pid) {
		c->reaped = true;
		c->status = st;
		if (c->pidfd >= 0) {
			close(c->pidfd);
			c->pidfd = -1;
		}
	}
}

static void kill_and_reap(struct child *c)
{
	if (c->pid > 0 && !c->reaped) {
		c->killed = true;
		kill(c->pid, SIGKILL);
		reap(c, true);
	}
}

static bool exited_ok(const struct child *c)
{
	return c->reaped && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static bool failed(const struct child *c)
{
	return c->reaped && !exited_ok(c);
}

static void describe_exit(const struct child *c, char *out, size_t outlen)
{
	if (WIFSIGNALED(c->status))
		snprintf(out, outlen, "killed by signal %d (%s)", WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	else
		snprintf(out, outlen, "exited with status %d", WEXITSTATUS(c->status));
}

enum watch_outcome { WATCH_DONE, WATCH_FAILED, WATCH_HUNG, WATCH_INTERRUPTED };

/* Sleeps until both children are done, one fails, nothing progresses for timeout_ms, or a signal. */
static enum watch_outcome watch(struct child *c, struct ctl *ctl, int timeout_ms)
{
	uint64_t last[2] = {0, 0}, last_change = clock_mono_ns();
	/* with pidfds the parent sleeps until a child exits (5 wake-ups a second
	 * for the watchdog); without them it polls */
	int nap_ms = c[0].pidfd >= 0 && c[1].pidfd >= 0 ? 200 : 20;

	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		uint64_t now;

		for (int i = 0; i < 2; i++)
			if (!c[i].reaped && c[i].pidfd >= 0)
				p[n++] = (struct pollfd){.fd = c[i].pidfd, .events = POLLIN};
		poll(p, n, nap_ms);
		reap(&c[0], false);
		reap(&c[1], false);
		if (stop_signal)
			return WATCH_INTERRUPTED;
		if (failed(&c[0]) || failed(&c[1]))
			return WATCH_FAILED;
		if (c[0].reaped && c[1].reaped)
			return WATCH_DONE;
		now = clock_mono_ns();
		for (int i = 0; i < 2; i++) {
			uint64_t v = atomic_load(&ctl->progress[i].v);

			if (v != last[i]) {
				last[i] = v;
				last_change = now;
			}
		}
		if (timeout_ms > 0 && now - last_change > (uint64_t)timeout_ms * 1000000u)
			return WATCH_HUNG;
	}
}

static void compose_error(struct cell_result *res, const struct child *c, const struct ctl *ctl, enum watch_outcome w,
			  int timeout_ms)
{
	static const char *const who[2] = {"client", "server"};
	char how[96];
	int n = 0;

	res->status = CELL_ERROR;
	if (w == WATCH_HUNG)
		n = snprintf(res->reason, sizeof(res->reason),
			     "no progress for %d ms (client at message %llu, server at message %llu): peer hung",
			     timeout_ms, (unsigned long long)ctl->progress[0].v,
			     (unsigned long long)ctl->progress[1].v);
	/* a side that died without a word of its own died abruptly: say so first */
	for (int i = 1; i >= 0; i--) {
		if (w == WATCH_HUNG || !failed(&c[i]) || c[i].killed || ctl->side[i].err ||
		    (size_t)n >= sizeof(res->reason))
			continue;
		describe_exit(&c[i], how, sizeof(how));
		n += snprintf(res->reason + n, sizeof(res->reason) - (size_t)n, "%s%s %s after %llu messages",
			      n ? "; " : "", who[i], how, (unsigned long long)ctl->progress[i].v);
	}
	for (int i = 0; i < 2; i++) {
		if (!ctl->side[i].err || (size_t)n >= sizeof(res->reason))
			continue;
		n += snprintf(res->reason + n, sizeof(res->reason) - (size_t)n, "%s%s: %s", n ? "; " : "", who[i],
			      ctl->side[i].msg);
	}
	if (!n)
		snprintf(res->reason, sizeof(res->reason), "a child failed without saying why");
}

int cell_probe(const struct transport_ops *ops, struct chan_limits *lim, char *why, size_t whylen)
{
	struct chan ch = {0};
	int r = chan_probe(&ch, ops);

	*lim = ch.limits;
	if (r && why)
		snprintf(why, whylen, "%s", ch.errmsg[0] ? ch.errmsg : strerror(-r));
	return r;
}

void rundir_new_tag(char *out, size_t outlen)
{
	uint64_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = clock_mono_ns() ^ ((uint64_t)getpid() << 32);
	snprintf(out, outlen, "ipcbench-%d-%016llx", (int)getpid(), (unsigned long long)rnd);
}

static bool skip_before_fork(const struct cell_config *cfg, struct cell_result *res)
{
	const struct transport_ops *ops = cfg->ops;
	struct chan ch = {.opts = cfg->opts};
	int r = chan_probe(&ch, ops);

	res->limits = ch.limits;
	if (r) {
		/* a host without the mechanism is a skip; anything else (out of fds) an error */
		res->status = ch.unavailable ? CELL_SKIPPED : CELL_ERROR;
		snprintf(res->reason, sizeof(res->reason), "%s %s: %s", ops->name,
			 ch.unavailable ? "not available here" : "probe failed",
			 ch.errmsg[0] ? ch.errmsg : strerror(-r));
		return true;
	}
	if (res->limits.max_msg_bytes && cfg->msg_bytes > res->limits.max_msg_bytes) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "a %zu-byte message exceeds what %s carries here (%zu bytes): %s", cfg->msg_bytes, ops->name,
			 res->limits.max_msg_bytes, res->limits.note);
		return true;
	}
	if (cfg->pattern != PATTERN_PINGPONG && (ops->flags & TRANSPORT_LOSSY)) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "%s drops messages when the receiver falls behind, so the %s pattern cannot be measured on it",
			 ops->name, pattern_name(cfg->pattern));
		return true;
	}
	if (cfg->wait == CHAN_WAIT_SPIN && !(ops->flags & (TRANSPORT_CAN_SPIN | TRANSPORT_SPIN))) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason), "%s cannot busy-poll (it has no non-blocking receive)",
			 ops->name);
		return true;
	}
	if (res->limits.unit_bytes)
		res->fragments_per_msg =
			(unsigned)((cfg->msg_bytes + res->limits.unit_bytes - 1) / res->limits.unit_bytes);
	return false;
}

/* Interval k = snapshot k - snapshot k-1 (the last one ends at the final counts). */
static void collect_intervals(struct cell_result *res, const struct ctl *ctl, const uint8_t *snaps)
{
	size_t n = ctl->nsnaps + 1, len = counts_bytes() / sizeof(int64_t);

	res->intervals = calloc(n, sizeof(*res->intervals));
	res->interval_start_ns = calloc(n, sizeof(uint64_t));
	res->interval_len_ns = calloc(n, sizeof(uint64_t));
	if (!res->intervals || !res->interval_start_ns || !res->interval_len_ns)
		return;
	for (size_t k = 0; k < n; k++) {
		const int64_t *cur =
			k < ctl->nsnaps ? (const int64_t *)(snaps + k * counts_bytes()) : res->latency.counts;
		const int64_t *prev = k ? (const int64_t *)(snaps + (k - 1) * counts_bytes()) : NULL;
		uint64_t start = k ? ctl->snap_end_ns[k - 1] : 0;
		uint64_t end = k < ctl->nsnaps ? ctl->snap_end_ns[k] : res->elapsed_ns;
		struct hist *h = &res->intervals[res->nintervals];

		if (hist_init(h, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS))
			return;
		for (size_t i = 0; i < len; i++) {
			int64_t c = cur[i] - (prev ? prev[i] : 0);

			if (c > 0)
				hist_record_n(h, hist_value_from_index(h, (int32_t)i), c);
		}
		res->interval_start_ns[res->nintervals] = start;
		res->interval_len_ns[res->nintervals] = end > start ? end - start : 0;
		res->nintervals++;
	}
}

static void collect(const struct cell_config *cfg, struct cell_result *res, const struct ctl *ctl, const void *counts,
		    const uint8_t *snaps)
{
	double secs;

	memcpy(res->latency.counts, counts, hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS));
	res->latency.total_count = ctl->hist.total_count;
	res->latency.max_tracked = ctl->hist.max_tracked;
	res->latency.min_nonzero_tracked = ctl->hist.min_nonzero_tracked;
	res->latency.out_of_range = ctl->hist.out_of_range;
	res->count = ctl->count;
	res->warmup_done = ctl->warmup_done;
	res->elapsed_ns = ctl->elapsed_ns;
	res->raw_min_ns = ctl->raw_min_ns;
	res->raw_max_ns = ctl->raw_max_ns;
	secs = (double)res->elapsed_ns / 1e9;
	if (secs > 0) {
		res->msgs_per_sec = (double)res->count / secs;
		res->bytes_per_sec = res->msgs_per_sec * (double)cfg->msg_bytes;
		if (cfg->pattern == PATTERN_PINGPONG)
			res->round_trips_per_sec = res->msgs_per_sec;
	}
	res->rate_target_per_sec = cfg->pattern == PATTERN_RATE ? cfg->rate_per_sec : 0;
	res->rate_achieved_per_sec = ctl->rate_achieved_per_sec;
	res->rate_kept_up = cfg->pattern != PATTERN_RATE || ctl->rate_achieved_per_sec >= 0.95 * cfg->rate_per_sec;
	res->have_cost = ctl->side[0].have_cost && ctl->side[1].have_cost;
	res->cost[0] = ctl->side[0].cost;
	res->cost[1] = ctl->side[1].cost;
	res->start_realtime_ns = ctl->start_realtime_ns;
	if (snaps)
		collect_intervals(res, ctl, snaps);
	res->status = CELL_OK;
}

void cell_result_release(struct cell_result *res)
{
	hist_release(&res->latency);
	cell_result_release_intervals(res);
}

void cell_result_release_intervals(struct cell_result *res)
{
	for (size_t k = 0; k < res->nintervals; k++)
		hist_release(&res->intervals[k]);
	free(res->intervals);
	free(res->interval_start_ns);
	free(res->interval_len_ns);
	res->intervals = NULL;
	res->interval_start_ns = res->interval_len_ns = NULL;
	res->nintervals = 0;
}

/* The channel's fields the transport reads, from the cell (transport.h: above the line). */
static void chan_from_cfg(struct chan *ch, const struct cell_config *cfg, const struct cell_result *res,
			  const char *tag)
{
	ch->msg_bytes = cfg->msg_bytes;
	ch->wait = cfg->wait;
	ch->run_dir = cfg->run_dir;
	ch->tag = tag;
	ch->timeout_ms = cfg->timeout_ms;
	ch->peer_same_cpu = cfg->client_cpu >= 0 && cfg->client_cpu == cfg->server_cpu;
	ch->opts = cfg->opts;
	ch->flow = cfg->pattern == PATTERN_PINGPONG ? CHAN_FLOW_LOCKSTEP : CHAN_FLOW_ONE_WAY;
	ch->limits = res->limits;
}

/* Forks the server, then the client; -1 (res says why) when a fork failed. */
static int fork_children(const struct cell_config *cfg, struct cell_result *res, struct chan *ch, struct ctl *ctl,
			 void *counts, uint8_t *snaps, struct child c[2])
{
	struct side_ctx side[2]; /* child_main never returns: this frame outlives it */
	pid_t self = getpid();

	for (int i = 0; i < 2; i++) {
		enum chan_role role = i == 0 ? CHAN_SERVER : CHAN_CLIENT;

		side[role] = (struct side_ctx){.cfg = cfg,
					       .ch = ch,
					       .ctl = ctl,
					       .role = role,
					       .len = cfg->msg_bytes,
					       .snap_mem = snaps,
					       .snap_next = UINT64_MAX};
		fflush(NULL);
		c[role].pid = fork();
		if (c[role].pid < 0) {
			res->status = CELL_ERROR;
			snprintf(res->reason, sizeof(res->reason), "fork: %s", strerror(errno));
			return -1;
		}
		if (c[role].pid == 0)
			child_main(&side[role], counts, self);
		c[role].pidfd = open_pidfd(c[role].pid);
	}
	return 0;
}

/* The options asked for, as the result's until probe() says what the host applied. */
static void asked_options(const struct cell_config *cfg, struct cell_result *res)
{
	struct chan ch = {.ops = cfg->ops, .opts = cfg->opts};

	for (int i = 0; i < TRANSPORT_MAX_OPTIONS; i++)
		res->limits.opt[i] = chan_opt(&ch, i);
}

int cell_run(const struct cell_config *cfg, struct cell_result *res)
{
	size_t counts_bytes = hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
	size_t ctl_bytes = (sizeof(struct ctl) + 4095) & ~(size_t)4095;
	size_t map_bytes = ctl_bytes + counts_bytes;
	struct child c[2] = {{.pidfd = -1}, {.pidfd = -1}};
	struct chan ch = {0};
	enum watch_outcome w;
	size_t snap_bytes = (size_t)HARNESS_MAX_INTERVALS * counts_bytes;
	uint8_t *snaps = NULL;
	char tag[64], ledger[4200];
	struct ctl *ctl;
	int r;

	memset(res, 0, sizeof(*res));
	r = hist_init(&res->latency, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
	if (r)
		return r;
	res->clock = clock_info.name;
	res->fragments_per_msg = 1;
	asked_options(cfg, res);
	if (stop_signal) {
		res->status = CELL_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "not started: interrupted by signal %d", stop_signal);
		return 0;
	}
	if (skip_before_fork(cfg, res))
		return 0;

	ctl = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		return -errno;
	atomic_store(&ctl->total, cfg->iterations ? cfg->warmup + cfg->iterations : UINT64_MAX);
	if (cfg->interval_ns) {
		/* reserved, not committed: only the intervals used are ever touched */
		snaps = mmap(NULL, snap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			     0);
		if (snaps == MAP_FAILED) {
			r = -errno;
			snaps = NULL;
			goto out_unmap;
		}
	}

	rundir_new_tag(tag, sizeof(tag));
	chan_from_cfg(&ch, cfg, res, tag);
	r = chan_open(&ch, cfg->ops);
	if (r) {
		res->status = CELL_ERROR;
		snprintf(res->reason, sizeof(res->reason), "create: %s", ch.errmsg[0] ? ch.errmsg : strerror(-r));
		r = 0;
		goto out_destroy;
	}

	if (fork_children(cfg, res, &ch, ctl, (char *)ctl + ctl_bytes, snaps, c))
		goto out_kill;
	w = watch(c, ctl, cfg->timeout_ms);
	if (w == WATCH_DONE && exited_ok(&c[0]) && exited_ok(&c[1])) {
		collect(cfg, res, ctl, (char *)ctl + ctl_bytes, snaps);
	} else if (w == WATCH_INTERRUPTED) {
		res->status = CELL_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "interrupted by signal %d at message %llu", stop_signal,
			 (unsigned long long)ctl->progress[0].v);
	} else {
		kill_and_reap(&c[0]);
		kill_and_reap(&c[1]);
		compose_error(res, c, ctl, w, cfg->timeout_ms);
	}
out_kill:
	kill_and_reap(&c[0]);
	kill_and_reap(&c[1]);
out_destroy:
	chan_close(&ch);
	if (!chan_ledger_path(&ch, ledger, sizeof(ledger)))
		unlink(ledger);
out_unmap:
	if (snaps)
		munmap(snaps, snap_bytes);
	munmap(ctl, map_bytes);
	return r;
}
