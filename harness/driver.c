/*
 * driver.c - runs one cell: probe, create, start the server and the client
 * (forked, exec'd, and the underload sender), watch them, reap them,
 * destroy, collect (see harness.h).  What each side does in its own
 * process is side.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/payload.h"
#include "harness/remote.h"
#include "harness/scale.h"
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

static const char *const pattern_names[PATTERN__COUNT] = {"pingpong", "stream", "rate", "underload"};

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
	static const char *const n[] = {
		[CHAN_WAIT_BLOCK] = "block",
		[CHAN_WAIT_SPIN] = "spin",
		[CHAN_WAIT_EPOLL] = "epoll",
		[CHAN_WAIT_POLL] = "poll",
	};

	return (unsigned)w < sizeof(n) / sizeof(n[0]) ? n[w] : "?";
}

int wait_parse(const char *s, enum chan_wait *w)
{
	for (int i = CHAN_WAIT_BLOCK; i <= CHAN_WAIT_POLL; i++) {
		if (!strcmp(s, wait_name((enum chan_wait)i))) {
			*w = (enum chan_wait)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const peers_names[PEERS__COUNT] = {"fork", "exec"};

const char *peers_name(enum peers p)
{
	return (unsigned)p < PEERS__COUNT ? peers_names[p] : "?";
}

int peers_parse(const char *s, enum peers *p)
{
	for (int i = 0; i < PEERS__COUNT; i++) {
		if (!strcmp(s, peers_names[i])) {
			*p = (enum peers)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- the parent's side ---- */

struct child {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool killed; /* by the parent: not a failure of its own */
	int status;
};

int side_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

void side_reap(pid_t pid, bool block, bool *reaped, int *status, int *pidfd)
{
	int st;

	if (*reaped || pid <= 0)
		return;
	if (waitpid(pid, &st, block ? 0 : WNOHANG) == pid) {
		*reaped = true;
		*status = st;
		if (*pidfd >= 0)
			close(*pidfd);
		*pidfd = -1;
	}
}

static void reap(struct child *c, bool block)
{
	side_reap(c->pid, block, &c->reaped, &c->status, &c->pidfd);
}

static void kill_and_reap(struct child *c)
{
	if (c->pid > 0 && !c->reaped) {
		c->killed = true;
		kill(c->pid, SIGKILL);
		reap(c, true);
	}
}

static void kill_all(struct child *c, int nchild)
{
	for (int i = 0; i < nchild; i++)
		kill_and_reap(&c[i]);
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

/*
 * Sleeps until the client and the server are done, a child fails, nothing
 * progresses for timeout_ms, or a signal.  A third child (the background
 * sender) need not finish: the parent kills it once the two are done.
 */
static enum watch_outcome watch(struct child *c, int nchild, struct ctl *ctl, const struct cell_config *cfg)
{
	uint64_t last[2] = {0, 0}, last_change = clock_mono_ns();
	int timeout_ms = cfg->timeout_ms;
	/* with pidfds the parent sleeps until a child exits (5 wake-ups a second
	 * for the watchdog, 10 with a progress report); without them it polls */
	int nap_ms = c[0].pidfd >= 0 && c[1].pidfd >= 0 ? (cfg->on_progress ? HARNESS_PROGRESS_MS : 200) : 20;

	for (;;) {
		struct pollfd p[3];
		nfds_t n = 0;
		uint64_t now;
		bool any_failed = false;

		for (int i = 0; i < nchild; i++)
			if (!c[i].reaped && c[i].pidfd >= 0)
				p[n++] = (struct pollfd){.fd = c[i].pidfd, .events = POLLIN};
		poll(p, n, nap_ms);
		for (int i = 0; i < nchild; i++) {
			reap(&c[i], false);
			any_failed |= failed(&c[i]);
		}
		if (stop_signal)
			return WATCH_INTERRUPTED;
		if (any_failed)
			return WATCH_FAILED;
		if (c[0].reaped && c[1].reaped)
			return WATCH_DONE;
		if (cfg->on_progress)
			cfg->on_progress(cfg->progress_ctx, cfg, ctl->prec.batch,
					 atomic_load_explicit(&ctl->prec.nbatches, memory_order_acquire));
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

static void compose_error(struct cell_result *res, const struct child *c, int nchild, const struct ctl *ctl,
			  enum watch_outcome w, int timeout_ms)
{
	static const char *const who[3] = {"client", "server", "background sender"};
	char how[96];
	int n = 0;

	res->status = CELL_ERROR;
	if (w == WATCH_HUNG)
		n = snprintf(res->reason, sizeof(res->reason),
			     "no progress for %d ms (client at message %llu, server at message %llu): peer hung",
			     timeout_ms, (unsigned long long)ctl->progress[0].v,
			     (unsigned long long)ctl->progress[1].v);
	/* a side that died without a word of its own died abruptly: say so first */
	for (int i = nchild - 1; i >= 0; i--) {
		if (w == WATCH_HUNG || !failed(&c[i]) || c[i].killed || ctl->side[i].err ||
		    (size_t)n >= sizeof(res->reason))
			continue;
		describe_exit(&c[i], how, sizeof(how));
		n += snprintf(res->reason + n, sizeof(res->reason) - (size_t)n, "%s%s %s after %llu messages",
			      n ? "; " : "", who[i], how,
			      (unsigned long long)(i == SIDE_FLOOD ? ctl->ul.sent : ctl->progress[i].v));
	}
	for (int i = 0; i < nchild; i++) {
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

/*
 * Size 0 is a wake-up with no payload: only TRANSPORT_NO_PAYLOAD transports
 * take it, and they take nothing else.  An event-loop wait needs fds.
 */
static bool skip_mismatch(const struct cell_config *cfg, struct cell_result *res)
{
	const struct transport_ops *ops = cfg->ops;
	bool none = ops->flags & TRANSPORT_NO_PAYLOAD;

	if (none && cfg->msg_bytes) {
		snprintf(res->reason, sizeof(res->reason),
			 "%s is a wake-up primitive with no payload: it runs at --sizes 0 only, not at %zu bytes",
			 ops->name, cfg->msg_bytes);
	} else if (!none && !cfg->msg_bytes) {
		snprintf(res->reason, sizeof(res->reason),
			 "size 0 is a bare wake-up: %s carries a payload, so it runs at 1 byte or more", ops->name);
	} else if ((cfg->wait == CHAN_WAIT_EPOLL || cfg->wait == CHAN_WAIT_POLL) &&
		   !(ops->flags & TRANSPORT_CAN_EVENT)) {
		snprintf(res->reason, sizeof(res->reason),
			 "%s has no file descriptor to wait on, so --wait %s does not apply to it", ops->name,
			 wait_name(cfg->wait));
	} else {
		return false;
	}
	res->status = CELL_SKIPPED;
	return true;
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
	if (cfg->pattern == PATTERN_UNDERLOAD && underload_skip(cfg, res, res->reason, sizeof(res->reason))) {
		res->status = CELL_SKIPPED;
		return true;
	}
	if ((cfg->pattern == PATTERN_STREAM || cfg->pattern == PATTERN_RATE) &&
	    (ops->flags & TRANSPORT_PINGPONG_ONLY)) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "%s is measured in round trips only: its one-way %s pattern does not work on the packaged "
			 "libraries (see its file)",
			 ops->name, pattern_name(cfg->pattern));
		return true;
	}
	if (cfg->pattern != PATTERN_PINGPONG && cfg->pattern != PATTERN_UNDERLOAD && (ops->flags & TRANSPORT_LOSSY)) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "%s drops messages when the receiver falls behind, so the %s pattern cannot be measured on it",
			 ops->name, pattern_name(cfg->pattern));
		return true;
	}
	if (skip_mismatch(cfg, res))
		return true;
	if (cfg->pattern == PATTERN_PINGPONG && (ops->flags & TRANSPORT_ONE_WAY)) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "%s is one-way (client to server only), so the pingpong pattern cannot be measured on it",
			 ops->name);
		return true;
	}
	if (cfg->peers == PEERS_EXEC && !(ops->flags & TRANSPORT_BY_NAME)) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "%s needs related processes: its peers cannot find the channel by a name (--peers exec)",
			 ops->name);
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
	size_t n = ctl->nsnaps + 1, len = side_counts_bytes() / sizeof(int64_t);

	res->intervals = calloc(n, sizeof(*res->intervals));
	res->interval_start_ns = calloc(n, sizeof(uint64_t));
	res->interval_len_ns = calloc(n, sizeof(uint64_t));
	if (!res->intervals || !res->interval_start_ns || !res->interval_len_ns)
		return;
	for (size_t k = 0; k < n; k++) {
		const int64_t *cur =
			k < ctl->nsnaps ? (const int64_t *)(snaps + k * side_counts_bytes()) : res->latency.counts;
		const int64_t *prev = k ? (const int64_t *)(snaps + (k - 1) * side_counts_bytes()) : NULL;
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

static void collect_precision(const struct cell_config *cfg, struct cell_result *res, const struct prec_shared *sh)
{
	size_t n = atomic_load(&sh->nbatches);

	if (cfg->precision <= 0 || cfg->iterations || cfg->pattern == PATTERN_RATE)
		return;
	res->prec.on = true;
	res->prec.target = cfg->precision;
	res->prec.metric = cfg->pattern == PATTERN_PINGPONG ? PREC_BY_P50 : PREC_BY_RATE;
	res->prec.batch_ns = prec_batch_ns(cfg->duration_ns);
	res->prec.reached = sh->reached;
	res->prec.hit_bound = !sh->reached;
	res->batches = n ? malloc(n * sizeof(*res->batches)) : NULL;
	if (res->batches) {
		memcpy(res->batches, sh->batch, n * sizeof(*res->batches));
		res->nbatches = n;
	}
	prec_summarize(res->batches, res->nbatches, &res->prec);
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
		if (cfg->pattern == PATTERN_PINGPONG || cfg->pattern == PATTERN_UNDERLOAD)
			res->round_trips_per_sec = res->msgs_per_sec;
	}
	res->rate_target_per_sec = cfg->pattern == PATTERN_RATE ? cfg->rate_per_sec : 0;
	res->rate_achieved_per_sec = ctl->rate_achieved_per_sec;
	res->rate_kept_up = cfg->pattern != PATTERN_RATE || ctl->rate_achieved_per_sec >= 0.95 * cfg->rate_per_sec;
	res->have_cost = ctl->side[0].have_cost && ctl->side[1].have_cost;
	res->cost[0] = ctl->side[0].cost;
	res->cost[1] = ctl->side[1].cost;
	res->start_realtime_ns = ctl->start_realtime_ns;
	for (int i = 0; i < TRANSPORT_MAX_COUNTERS; i++)
		res->counters[i] = ctl->side[0].counters[i] + ctl->side[1].counters[i];
	if (cfg->pattern == PATTERN_UNDERLOAD)
		underload_collect(res, ctl);
	if (snaps)
		collect_intervals(res, ctl, snaps);
	collect_precision(cfg, res, &ctl->prec);
	res->status = CELL_OK;
}

void cell_result_release(struct cell_result *res)
{
	hist_release(&res->latency);
	free(res->batches);
	res->batches = NULL;
	res->nbatches = 0;
	cell_result_release_intervals(res);
	scale_free(res->scale);
	res->scale = NULL;
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

void side_chan_from_cfg(struct chan *ch, const struct cell_config *cfg, const struct chan_limits *lim, const char *tag)
{
	ch->msg_bytes = cfg->msg_bytes;
	ch->wait = cfg->wait;
	ch->run_dir = cfg->run_dir;
	ch->tag = tag;
	ch->timeout_ms = cfg->timeout_ms;
	ch->peer_same_cpu = cfg->client_cpu >= 0 && cfg->client_cpu == cfg->server_cpu;
	ch->opts = cfg->opts;
	ch->underload = cfg->pattern == PATTERN_UNDERLOAD;
	ch->flow = cfg->pattern == PATTERN_PINGPONG || cfg->pattern == PATTERN_UNDERLOAD ? CHAN_FLOW_LOCKSTEP
											 : CHAN_FLOW_ONE_WAY;
	ch->limits = *lim;
	ch->client_by_name = cfg->peers == PEERS_EXEC || cfg->remote;
}

/*
 * Forks the server, the background sender (nchild 3: c[SIDE_FLOOD], a
 * second client), then the client; -1 (res says why) when a fork failed.
 */
static int fork_children(const struct cell_config *cfg, struct cell_result *res, struct chan *ch, struct ctl *ctl,
			 void *counts, uint8_t *snaps, struct child *c, int nchild)
{
	static const int order[3] = {CHAN_SERVER, SIDE_FLOOD, CHAN_CLIENT};
	struct side_ctx side[3]; /* child_main never returns: this frame outlives it */
	pid_t self = getpid();

	for (int i = 0; i < 3; i++) {
		int k = order[i];

		if (k >= nchild || c[k].reaped)
			continue; /* no such child, or not the harness's to start */
		side[k] = (struct side_ctx){.cfg = cfg,
					    .ch = ch,
					    .ctl = ctl,
					    .role = k == CHAN_SERVER ? CHAN_SERVER : CHAN_CLIENT,
					    .flood = k == SIDE_FLOOD,
					    .len = cfg->msg_bytes,
					    .snap_mem = snaps,
					    .snap_next = UINT64_MAX};
		fflush(NULL);
		c[k].pid = fork();
		if (c[k].pid < 0) {
			res->status = CELL_ERROR;
			snprintf(res->reason, sizeof(res->reason), "fork: %s", strerror(errno));
			return -1;
		}
		if (c[k].pid == 0)
			side_child_main(&side[k], counts, self);
		c[k].pidfd = side_pidfd_open(c[k].pid);
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

/* TRANSPORT_CLIENT_STARTS_SERVER: only the client is the harness's; its attach() runs ch->server_cmd. */
static int client_starts_server(const struct cell_config *cfg, struct cell_result *res, struct chan *ch,
				struct cell_maps *m, struct child c[3])
{
	if ((size_t)snprintf(m->params, sizeof(m->params), "%s/%s.server", cfg->run_dir, ch->tag) >=
	    sizeof(m->params)) {
		m->params[0] = 0;
		snprintf(res->reason, sizeof(res->reason), "run directory path too long");
		return -1;
	}
	if (peer_server_cmd(cfg, ch, m->path, m->map_bytes, m->params, m->cmd, sizeof(m->cmd), res->reason,
			    sizeof(res->reason)))
		return -1;
	ch->server_cmd = m->cmd;
	c[CHAN_SERVER] = (struct child){.pidfd = -1, .reaped = true}; /* the client's child: pclose reaps it */
	return 0;
}

/* Creates the channel and starts both sides (forked or exec'd); -1 with res saying why. */
static int start_sides(const struct cell_config *cfg, struct cell_result *res, struct chan *ch, struct cell_maps *m,
		       struct child c[3], int nchild)
{
	pid_t pid[2] = {0, 0};
	int r;

	if (cfg->remote) { /* the server side runs in `ipcbench serve`: only the client is forked here */
		if (remote_cell_start(cfg, ch, res))
			return -1;
		c[CHAN_SERVER] = (struct child){.pidfd = -1, .reaped = true};
		return fork_children(cfg, res, ch, m->ctl, (char *)m->ctl + side_ctl_bytes(), m->snaps, c, nchild);
	}
	if (cfg->peers == PEERS_FORK) {
		r = chan_open(ch, cfg->ops);
		if (r) {
			res->status = CELL_ERROR;
			snprintf(res->reason, sizeof(res->reason), "create: %s",
				 ch->errmsg[0] ? ch->errmsg : strerror(-r));
			return -1;
		}
		if ((cfg->ops->flags & TRANSPORT_CLIENT_STARTS_SERVER) && client_starts_server(cfg, res, ch, m, c)) {
			res->status = CELL_ERROR;
			return -1;
		}
		return fork_children(cfg, res, ch, m->ctl, (char *)m->ctl + side_ctl_bytes(), m->snaps, c, nchild);
	}
	r = peer_spawn_pair(cfg, ch, m->path, m->map_bytes, pid, res->reason, sizeof(res->reason));
	for (int i = 0; i < 2; i++) {
		c[i].pid = pid[i];
		if (pid[i] > 0)
			c[i].pidfd = side_pidfd_open(pid[i]);
	}
	if (r) {
		res->status = CELL_ERROR;
		return -1;
	}
	return 0;
}

static void finish_cell(const struct cell_config *cfg, struct cell_result *res, struct child c[3], int nchild,
			struct cell_maps *m)
{
	enum watch_outcome w = watch(c, nchild, m->ctl, cfg);

	if (w == WATCH_DONE && exited_ok(&c[0]) && exited_ok(&c[1])) {
		collect(cfg, res, m->ctl, (char *)m->ctl + side_ctl_bytes(), m->snaps);
	} else if (w == WATCH_INTERRUPTED) {
		res->status = CELL_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "interrupted by signal %d at message %llu", stop_signal,
			 (unsigned long long)m->ctl->progress[0].v);
	} else {
		kill_all(c, nchild);
		compose_error(res, c, nchild, m->ctl, w, cfg->timeout_ms);
	}
}

/* res, empty: the options asked, one fragment a message, the clock. */
static int result_start(const struct cell_config *cfg, struct cell_result *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	r = hist_init(&res->latency, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
	if (r)
		return r;
	res->clock = clock_info.name;
	res->fragments_per_msg = 1;
	asked_options(cfg, res);
	return 0;
}

int cell_run(const struct cell_config *cfg, struct cell_result *res)
{
	struct child c[3] = {{.pidfd = -1}, {.pidfd = -1}, {.pidfd = -1}};
	int nchild = cfg->pattern == PATTERN_UNDERLOAD ? 3 : 2;
	struct cell_maps m = {0};
	struct chan ch = {0};
	char tag[64], ledger[4200];
	int r;

	r = result_start(cfg, res);
	if (r)
		return r;
	if (stop_signal) {
		res->status = CELL_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "not started: interrupted by signal %d", stop_signal);
		return 0;
	}
	if (skip_before_fork(cfg, res) || (cfg->remote && remote_cell_skip(cfg, res)))
		return 0;
	if ((cfg->pairs || cfg->clients || cfg->pattern == PATTERN_UNDERLOAD) && cfg->peers == PEERS_EXEC) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason),
			 "--pairs, --clients and --pattern underload run forked processes only, not --peers exec");
		return 0;
	}
	if ((cfg->pairs || cfg->clients) && cfg->pattern == PATTERN_UNDERLOAD) {
		res->status = CELL_SKIPPED;
		snprintf(res->reason, sizeof(res->reason), "--pattern underload measures one client, not a group");
		return 0;
	}
	if (cfg->pairs || cfg->clients)
		return scale_cell_run(cfg, res);
	rundir_new_tag(tag, sizeof(tag));
	r = side_maps_open(cfg, tag, &m);
	if (r)
		goto out_unmap;
	side_chan_from_cfg(&ch, cfg, &res->limits, tag);
	if (!start_sides(cfg, res, &ch, &m, c, nchild))
		finish_cell(cfg, res, c, nchild, &m);
	kill_all(c, 3);
	if (cfg->remote)
		remote_cell_end(cfg, &ch, res, ch.priv != NULL); /* the server's figures; its channel is its own */
	chan_close(&ch);
	if (!chan_ledger_path(&ch, ledger, sizeof(ledger)))
		unlink(ledger);
out_unmap:
	side_maps_close(&m);
	return r;
}
