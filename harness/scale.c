/*
 * scale.c - runs a cell of many members (scale.h): --pairs N, N channels
 * and 2N children, each pair the ordinary cell on its own shared page;
 * --clients N, one fan-in channel, one server (fanin.c) and N clients,
 * each client on its own page.  One watchdog over every child: a member
 * that dies or fails kills the rest and fails the cell with its reason;
 * the parent reaps every child and destroys every channel either way.
 */
#include "harness/scale.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/fanin.h"
#include "harness/side.h"
#include "harness/sysinfo.h"

struct member_child {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool killed; /* by the parent: not a failure of its own */
	int status;
	unsigned int member;
	enum chan_role role;
};

struct group {
	const struct cell_config *cfg;
	unsigned int n;
	bool fan_in;
	struct cell_config *mcfg; /* [n]: each member's placement */
	struct chan *ch;	  /* [n] pairs; [1] fan-in */
	size_t nopen;		  /* channels opened */
	uint8_t *map;
	size_t map_bytes, slot_bytes, ctl_bytes;
	struct member_child *kids;
	size_t nkids;
};

static size_t counts_size(void)
{
	return hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
}

#define GATE_BYTES 4096

static _Atomic unsigned int *group_gate(const struct group *g)
{
	return (_Atomic unsigned int *)g->map;
}

static struct ctl *group_ctl(const struct group *g, unsigned int i)
{
	return (struct ctl *)(g->map + GATE_BYTES + (size_t)i * g->slot_bytes);
}

static void *group_counts(const struct group *g, unsigned int i)
{
	return (uint8_t *)group_ctl(g, i) + g->ctl_bytes;
}

void side_gate_wait(struct side_ctx *s)
{
	struct timespec nap = {0, 100000};

	atomic_fetch_add(s->gate, 1);
	while (atomic_load(s->gate) < s->gate_n)
		nanosleep(&nap, NULL);
}

/* ---- placement ---- */

static int cpu_index(const int *cpus, int n, int cpu)
{
	for (int i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return i;
	return 0;
}

/*
 * Pairs: pair i moves both CPUs of the cell's placement i places along the
 * online CPUs, so the pairs spread over the machine and each keeps the
 * cell's relation where the CPUs allow.  Clients: the server keeps its CPU;
 * with one CPU for both, every client shares it; otherwise the clients take
 * the other CPUs in turn, starting at the cell's client CPU.
 */
static void place(const struct cell_config *cfg, bool fan_in, unsigned int i, int *cc, int *sc)
{
	int cpus[1024], n = cpu_list_online(cpus, 1024), other[1024], no = 0;

	*cc = cfg->client_cpu;
	*sc = cfg->server_cpu;
	if (cfg->client_cpu < 0 || n <= 0)
		return;
	if (!fan_in) {
		*cc = cpus[((unsigned)cpu_index(cpus, n, cfg->client_cpu) + i) % (unsigned)n];
		*sc = cpus[((unsigned)cpu_index(cpus, n, cfg->server_cpu) + i) % (unsigned)n];
		return;
	}
	if (cfg->client_cpu == cfg->server_cpu)
		return;
	for (int k = 0; k < n; k++)
		if (cpus[k] != cfg->server_cpu)
			other[no++] = cpus[k];
	if (no)
		*cc = other[((unsigned)cpu_index(other, no, cfg->client_cpu) + i) % (unsigned)no];
}

/* ---- children ---- */

static void reap(struct member_child *c, bool block)
{
	side_reap(c->pid, block, &c->reaped, &c->status, &c->pidfd);
}

static void kill_all(struct group *g)
{
	for (size_t i = 0; i < g->nkids; i++)
		if (g->kids[i].pid > 0 && !g->kids[i].reaped) {
			g->kids[i].killed = true;
			kill(g->kids[i].pid, SIGKILL);
		}
	for (size_t i = 0; i < g->nkids; i++)
		reap(&g->kids[i], true);
}

static bool child_ok(const struct member_child *c)
{
	return c->reaped && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static pid_t fork_one(struct group *g, struct side_ctx *s, unsigned int member)
{
	struct member_child *c = &g->kids[g->nkids];
	pid_t self = getpid();

	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0)
		side_child_main(s, group_counts(g, member), self);
	c->pidfd = side_pidfd_open(c->pid);
	c->member = member;
	c->role = s->role;
	g->nkids++;
	return c->pid;
}

static struct side_ctx member_side(const struct group *g, unsigned int i, enum chan_role role, struct chan *ch)
{
	return (struct side_ctx){.cfg = &g->mcfg[i],
				 .ch = ch,
				 .ctl = group_ctl(g, i),
				 .role = role,
				 .len = g->cfg->msg_bytes,
				 .snap_next = UINT64_MAX,
				 .gate = group_gate(g),
				 .gate_n = g->n};
}

/* Every server first, then every client: a client finds its server attached or attaching. */
static int fork_members(struct group *g, struct side_ctx *sides, struct fanin_side *srv)
{
	if (g->fan_in) {
		*srv = (struct fanin_side){.s = member_side(g, 0, CHAN_SERVER, &g->ch[0]),
					   .n = g->n,
					   .ctl = group_ctl(g, 0),
					   .slot_bytes = g->slot_bytes};
		srv->s.loops = &fanin_loops;
		if (fork_one(g, &srv->s, 0) < 0)
			return -errno;
	} else {
		for (unsigned int i = 0; i < g->n; i++) {
			sides[2 * i] = member_side(g, i, CHAN_SERVER, &g->ch[i]);
			if (fork_one(g, &sides[2 * i], i) < 0)
				return -errno;
		}
	}
	for (unsigned int i = 0; i < g->n; i++) {
		struct chan *ch = &g->ch[g->fan_in ? 0 : i];

		ch->client = i; /* the child's copy keeps its own index */
		sides[2 * i + 1] = member_side(g, i, CHAN_CLIENT, ch);
		if (fork_one(g, &sides[2 * i + 1], i) < 0)
			return -errno;
	}
	return 0;
}

enum group_outcome { GROUP_DONE, GROUP_FAILED, GROUP_HUNG, GROUP_INTERRUPTED };

static uint64_t group_progress(const struct group *g)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < g->n; i++)
		sum += atomic_load(&group_ctl(g, i)->progress[0].v) + atomic_load(&group_ctl(g, i)->progress[1].v);
	return sum;
}

static enum group_outcome group_watch(struct group *g)
{
	uint64_t last = 0, last_change = clock_mono_ns();
	struct pollfd *p = calloc(g->nkids, sizeof(*p));

	for (;;) {
		nfds_t np = 0;
		bool all = true, bad = false;
		uint64_t now, v;

		for (size_t i = 0; p && i < g->nkids; i++)
			if (!g->kids[i].reaped && g->kids[i].pidfd >= 0)
				p[np++] = (struct pollfd){.fd = g->kids[i].pidfd, .events = POLLIN};
		poll(p, np, p && np == g->nkids ? 200 : 20);
		for (size_t i = 0; i < g->nkids; i++) {
			reap(&g->kids[i], false);
			all &= g->kids[i].reaped;
			bad |= g->kids[i].reaped && !child_ok(&g->kids[i]);
		}
		if (harness_interrupted() || bad || all) {
			free(p);
			return harness_interrupted() ? GROUP_INTERRUPTED : bad ? GROUP_FAILED : GROUP_DONE;
		}
		now = clock_mono_ns();
		v = group_progress(g);
		if (v != last) {
			last = v;
			last_change = now;
		}
		if (g->cfg->timeout_ms > 0 && now - last_change > (uint64_t)g->cfg->timeout_ms * 1000000u) {
			free(p);
			return GROUP_HUNG;
		}
	}
}

/* "pair 2 client" or "client 2" or "server" */
static void member_name(const struct group *g, unsigned int i, enum chan_role role, char *out, size_t len)
{
	if (g->fan_in)
		snprintf(out, len, role == CHAN_SERVER ? "server" : "client %u", i);
	else
		snprintf(out, len, "pair %u %s", i, role == CHAN_SERVER ? "server" : "client");
}

static void append(char *buf, size_t len, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k;
}

static void group_error(const struct group *g, struct cell_result *res, enum group_outcome w)
{
	size_t n = 0, sz = sizeof(res->reason);
	char who[48];

	res->status = CELL_ERROR;
	if (w == GROUP_HUNG)
		append(res->reason, sz, &n, "no progress for %d ms in any of %u %s: peer hung", g->cfg->timeout_ms,
		       g->n, g->fan_in ? "clients" : "pairs");
	for (size_t i = 0; i < g->nkids && w != GROUP_HUNG; i++) {
		const struct member_child *c = &g->kids[i];
		const struct ctl *ctl = group_ctl(g, c->member);

		if (c->killed || !c->reaped || child_ok(c) || ctl->side[c->role].err)
			continue;
		member_name(g, c->member, c->role, who, sizeof(who));
		if (WIFSIGNALED(c->status))
			append(res->reason, sz, &n, "%s%s killed by signal %d (%s) after %llu messages", n ? "; " : "",
			       who, WTERMSIG(c->status), strsignal(WTERMSIG(c->status)),
			       (unsigned long long)ctl->progress[c->role].v);
		else
			append(res->reason, sz, &n, "%s%s exited with status %d", n ? "; " : "", who,
			       WEXITSTATUS(c->status));
	}
	for (unsigned int i = 0; i < g->n; i++)
		for (int r = 0; r < 2; r++) {
			if (!group_ctl(g, i)->side[r].err)
				continue;
			member_name(g, i, (enum chan_role)r, who, sizeof(who));
			append(res->reason, sz, &n, "%s%s: %s", n ? "; " : "", who, group_ctl(g, i)->side[r].msg);
		}
	if (!n)
		snprintf(res->reason, sz, "a member failed without saying why");
}

/* ---- collecting ---- */

static void add_cost(struct side_cost *into, const struct side_cost *c)
{
	into->user_sec += c->user_sec;
	into->sys_sec += c->sys_sec;
	into->voluntary_cs += c->voluntary_cs;
	into->involuntary_cs += c->involuntary_cs;
	into->max_rss_kb += c->max_rss_kb; /* each process's peak, summed over the side's processes */
	if (c->threads > into->threads)
		into->threads = c->threads;
}

static int collect_member(const struct group *g, unsigned int i, struct scale_member *m)
{
	const struct ctl *ctl = group_ctl(g, i);
	int r = hist_init(&m->latency, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);

	if (r)
		return r;
	memcpy(m->latency.counts, group_counts(g, i), counts_size());
	m->latency.total_count = ctl->hist.total_count;
	m->latency.max_tracked = ctl->hist.max_tracked;
	m->latency.min_nonzero_tracked = ctl->hist.min_nonzero_tracked;
	m->latency.out_of_range = ctl->hist.out_of_range;
	m->client_cpu = g->mcfg[i].client_cpu;
	m->server_cpu = g->mcfg[i].server_cpu;
	m->count = ctl->count;
	m->elapsed_ns = ctl->elapsed_ns;
	m->raw_min_ns = ctl->raw_min_ns;
	m->raw_max_ns = ctl->raw_max_ns;
	m->msgs_per_sec = m->elapsed_ns ? (double)m->count / ((double)m->elapsed_ns / 1e9) : 0;
	m->cost[CHAN_CLIENT] = ctl->side[CHAN_CLIENT].cost;
	if (!g->fan_in)
		m->cost[CHAN_SERVER] = ctl->side[CHAN_SERVER].cost;
	m->have_cost = ctl->side[CHAN_CLIENT].have_cost && (g->fan_in || ctl->side[CHAN_SERVER].have_cost);
	return 0;
}

void scale_fairness(struct scale_result *s)
{
	double sum = 0, sq = 0;

	s->min_msgs_per_sec = s->n ? s->m[0].msgs_per_sec : 0;
	s->max_msgs_per_sec = 0;
	for (unsigned int i = 0; i < s->n; i++) {
		double x = s->m[i].msgs_per_sec;

		sum += x;
		sq += x * x;
		s->min_msgs_per_sec = fmin(s->min_msgs_per_sec, x);
		s->max_msgs_per_sec = fmax(s->max_msgs_per_sec, x);
	}
	s->jain_index = sq > 0 ? sum * sum / ((double)s->n * sq) : 0;
}

/* The cell's figures from its members: counts summed over the longest measured phase. */
static void aggregate(const struct group *g, struct cell_result *res)
{
	struct scale_result *s = res->scale;
	uint64_t first = UINT64_MAX, last = 0;
	double secs;

	res->raw_min_ns = INT64_MAX;
	res->have_cost = true;
	for (unsigned int i = 0; i < s->n; i++) {
		const struct scale_member *m = &s->m[i];

		hist_add(&res->latency, &m->latency);
		res->count += m->count;
		res->warmup_done += group_ctl(g, i)->warmup_done;
		if (m->elapsed_ns > res->elapsed_ns)
			res->elapsed_ns = m->elapsed_ns;
		if (m->count && group_ctl(g, i)->end_ticks) {
			first = group_ctl(g, i)->start_ticks < first ? group_ctl(g, i)->start_ticks : first;
			last = group_ctl(g, i)->end_ticks > last ? group_ctl(g, i)->end_ticks : last;
		}
		if (m->raw_min_ns < res->raw_min_ns && m->count)
			res->raw_min_ns = m->raw_min_ns;
		if (m->raw_max_ns > res->raw_max_ns)
			res->raw_max_ns = m->raw_max_ns;
		add_cost(&res->cost[CHAN_CLIENT], &m->cost[CHAN_CLIENT]);
		add_cost(&res->cost[CHAN_SERVER], &m->cost[CHAN_SERVER]);
		res->have_cost &= m->have_cost;
	}
	if (g->fan_in) {
		res->cost[CHAN_SERVER] = group_ctl(g, 0)->side[CHAN_SERVER].cost;
		res->have_cost &= group_ctl(g, 0)->side[CHAN_SERVER].have_cost;
	}
	if (res->raw_min_ns == INT64_MAX)
		res->raw_min_ns = 0;
	/* the aggregate is over the span from the first member's start to the last one's end: members
	 * that ran one after another (a fixed -n on one CPU) do not add up as if they overlapped */
	if (last > first)
		res->elapsed_ns = clock_ticks_to_ns(last - first);
	secs = (double)res->elapsed_ns / 1e9;
	if (secs > 0) {
		res->msgs_per_sec = (double)res->count / secs;
		res->bytes_per_sec = res->msgs_per_sec * (double)g->cfg->msg_bytes;
		if (g->cfg->pattern == PATTERN_PINGPONG)
			res->round_trips_per_sec = res->msgs_per_sec;
	}
	res->rate_target_per_sec = g->cfg->pattern == PATTERN_RATE ? g->cfg->rate_per_sec : 0;
	res->rate_kept_up = true;
	for (unsigned int i = 0; i < s->n; i++) {
		res->rate_achieved_per_sec += group_ctl(g, i)->rate_achieved_per_sec;
		res->rate_kept_up &= g->cfg->pattern != PATTERN_RATE ||
				     group_ctl(g, i)->rate_achieved_per_sec >= 0.95 * g->cfg->rate_per_sec;
	}
	scale_fairness(s);
	res->status = CELL_OK;
}

static int group_collect(const struct group *g, struct cell_result *res)
{
	struct scale_result *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	res->scale = s;
	s->fan_in = g->fan_in;
	s->m = calloc(g->n, sizeof(*s->m));
	if (!s->m)
		return -ENOMEM;
	for (unsigned int i = 0; i < g->n; i++) {
		int r = collect_member(g, i, &s->m[i]);

		if (r)
			return r;
		s->n = i + 1;
	}
	aggregate(g, res);
	return 0;
}

/* ---- the run ---- */

static void chan_setup(struct chan *ch, const struct group *g, unsigned int i, const char *tag)
{
	const struct cell_config *cfg = &g->mcfg[i];

	ch->msg_bytes = cfg->msg_bytes;
	ch->wait = cfg->wait;
	ch->run_dir = cfg->run_dir;
	ch->tag = tag;
	ch->timeout_ms = cfg->timeout_ms;
	ch->peer_same_cpu = cfg->client_cpu >= 0 && cfg->client_cpu == cfg->server_cpu;
	ch->opts = cfg->opts;
	ch->nclients = g->fan_in ? g->n : 0;
}

static int group_open(struct group *g, struct cell_result *res, char (*tags)[64])
{
	size_t nch = g->fan_in ? 1 : g->n;

	for (size_t i = 0; i < nch; i++) {
		int r;

		rundir_new_tag(tags[i], sizeof(tags[i]));
		chan_setup(&g->ch[i], g, (unsigned)i, tags[i]);
		g->ch[i].limits = res->limits;
		r = chan_open(&g->ch[i], g->cfg->ops);
		g->nopen = i + 1;
		if (r) {
			res->status = CELL_ERROR;
			snprintf(res->reason, sizeof(res->reason), "create%s: %s", g->fan_in ? "" : " (a pair)",
				 g->ch[i].errmsg[0] ? g->ch[i].errmsg : strerror(-r));
			return -1;
		}
	}
	return 0;
}

static void group_close(struct group *g)
{
	char ledger[4200];

	for (size_t i = 0; i < g->nopen; i++) {
		chan_close(&g->ch[i]);
		if (!chan_ledger_path(&g->ch[i], ledger, sizeof(ledger)))
			unlink(ledger);
	}
}

static int group_alloc(struct group *g)
{
	size_t nch = g->fan_in ? 1 : g->n;

	g->ctl_bytes = (sizeof(struct ctl) + 4095) & ~(size_t)4095;
	g->slot_bytes = g->ctl_bytes + ((counts_size() + 4095) & ~(size_t)4095);
	g->map_bytes = GATE_BYTES + g->n * g->slot_bytes;
	g->map = mmap(NULL, g->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	g->mcfg = calloc(g->n, sizeof(*g->mcfg));
	g->ch = calloc(nch, sizeof(*g->ch));
	g->kids = calloc(2 * (size_t)g->n + 1, sizeof(*g->kids));
	if (!g->mcfg || !g->ch || !g->kids)
		return -ENOMEM;
	for (unsigned int i = 0; i < g->n; i++) {
		g->mcfg[i] = *g->cfg;
		/* members run the cell's whole length: --precision's stop rule is one pair's, not a group's */
		g->mcfg[i].precision = 0;
		g->mcfg[i].on_progress = NULL;
		place(g->cfg, g->fan_in, i, &g->mcfg[i].client_cpu, &g->mcfg[i].server_cpu);
		atomic_store(&group_ctl(g, i)->total,
			     g->cfg->iterations ? g->cfg->warmup + g->cfg->iterations : UINT64_MAX);
		atomic_store(&group_ctl(g, i)->prec.warmup_end, g->cfg->warmup);
	}
	return 0;
}

static void group_release(struct group *g)
{
	if (g->map)
		munmap(g->map, g->map_bytes);
	free(g->mcfg);
	free(g->ch);
	free(g->kids);
}

static int group_measure(struct group *g, struct cell_result *res)
{
	struct side_ctx *sides = calloc(2 * (size_t)g->n, sizeof(*sides));
	char(*tags)[64] = calloc(g->fan_in ? 1 : g->n, sizeof(*tags));
	struct fanin_side srv;
	enum group_outcome w;
	int r = 0;

	if (!sides || !tags) {
		r = -ENOMEM;
		goto out;
	}
	if (group_open(g, res, tags))
		goto out_close;
	r = fork_members(g, sides, &srv);
	if (r) {
		res->status = CELL_ERROR;
		snprintf(res->reason, sizeof(res->reason), "fork: %s", strerror(-r));
		r = 0;
		goto out_kill;
	}
	w = group_watch(g);
	if (w == GROUP_DONE) {
		r = group_collect(g, res);
	} else if (w == GROUP_INTERRUPTED) {
		res->status = CELL_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "interrupted by signal %d", harness_interrupted());
	} else {
		kill_all(g);
		group_error(g, res, w);
	}
out_kill:
	kill_all(g);
out_close:
	group_close(g);
out:
	free(sides);
	free(tags);
	return r;
}

int scale_cell_run(const struct cell_config *cfg, struct cell_result *res)
{
	struct group g = {.cfg = cfg, .n = cfg->clients ? cfg->clients : cfg->pairs, .fan_in = cfg->clients > 0};
	int r;

	if (g.fan_in && fanin_skip(cfg, res))
		return 0;
	r = group_alloc(&g);
	if (!r)
		r = group_measure(&g, res);
	group_release(&g);
	return r;
}

/* ---- the result ---- */

void scale_fold(struct scale_result *into, const struct scale_result *r)
{
	if (!into || !r || into->n != r->n)
		return;
	for (unsigned int i = 0; i < into->n; i++) {
		struct scale_member *a = &into->m[i];
		const struct scale_member *b = &r->m[i];

		hist_add(&a->latency, &b->latency);
		a->count += b->count;
		a->elapsed_ns += b->elapsed_ns;
		a->raw_min_ns = b->raw_min_ns < a->raw_min_ns ? b->raw_min_ns : a->raw_min_ns;
		a->raw_max_ns = b->raw_max_ns > a->raw_max_ns ? b->raw_max_ns : a->raw_max_ns;
		a->msgs_per_sec = a->elapsed_ns ? (double)a->count / ((double)a->elapsed_ns / 1e9) : 0;
		for (int k = 0; k < 2; k++) {
			long rss = a->cost[k].max_rss_kb > b->cost[k].max_rss_kb ? a->cost[k].max_rss_kb
										 : b->cost[k].max_rss_kb;

			add_cost(&a->cost[k], &b->cost[k]);
			a->cost[k].max_rss_kb = rss; /* a repetition's peak, not a sum over repetitions */
		}
		a->have_cost &= b->have_cost;
	}
	scale_fairness(into);
}

void scale_free(struct scale_result *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->n; i++)
		hist_release(&s->m[i].latency);
	free(s->m);
	free(s);
}
