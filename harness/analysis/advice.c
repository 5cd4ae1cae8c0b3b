/*
 * advice.c - "Which should I use?" (see advice.h): each need's candidates
 * are the ok cells of one file that fit it; it is ranked at one size (the
 * smallest for latency, the largest for throughput) and at the placement
 * most of its mechanisms were measured at (cross CPU on a tie), with each
 * mechanism's best cell there (its best variant and wait).
 */
#include "harness/analysis/advice.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "harness/analysis/html.h"

enum need_prop {
	PROP_NONE,
	PROP_BY_NAME,
	PROP_NETWORK,
};

static const struct need_def {
	const char *id, *title;
	const char *pattern;
	bool rate;	     /* ranked by a rate, highest first (else by p50) */
	bool largest;	     /* at the largest size measured (else the smallest) */
	bool clients;	     /* only cells with clients=N > 1 (else none with several clients or pairs) */
	bool no_spin;	     /* no spin transport, no --wait spin */
	enum need_prop prop; /* a property every candidate must have */
	const char *ranked_by;
	const char *none;      /* nothing of the pattern was measured */
	const char *none_prop; /* cells were measured, none of a transport that fits */
} needs[ADVICE__COUNT] = {
	[ADVICE_LAT_ANY] = {"need-lat-any", "Lowest latency, at any CPU cost", "pingpong", false, false, false, false,
			    PROP_NONE, "round-trip p50", "no ping-pong cells in this run",
			    "no ping-pong cell of this run was measured"},
	[ADVICE_LAT_NOSPIN] = {"need-lat-nospin", "Lowest latency without burning a CPU", "pingpong", false, false,
			       false, true, PROP_NONE, "round-trip p50 (no spin transport, no --wait spin)",
			       "no ping-pong cells in this run",
			       "every ping-pong cell of this run spins (a spin transport or --wait spin)"},
	[ADVICE_BULK] = {"need-bulk", "Bulk throughput", "stream", true, true, false, false, PROP_NONE,
			 "stream bytes/s", "no stream cells in this run (--pattern stream measures them)",
			 "no stream cell of this run was measured"},
	[ADVICE_BY_NAME] = {"need-by-name", "Unrelated processes", "pingpong", false, false, false, false, PROP_BY_NAME,
			    "round-trip p50 of transports unrelated processes can open by a name",
			    "no ping-pong cells in this run",
			    "no transport of this run rendezvous by a name (properties.by_name)"},
	[ADVICE_NETWORK] = {"need-network", "Other hosts", "pingpong", false, false, false, false, PROP_NETWORK,
			    "round-trip p50 of transports that can join two hosts", "no ping-pong cells in this run",
			    "no transport of this run can join two hosts (properties.network)"},
	[ADVICE_CLIENTS] = {"need-clients", "Many clients", "pingpong", true, false, true, false, PROP_NONE,
			    "aggregate round trips/s of N clients of one server",
			    "no cells with several clients in this run (--clients measures them)",
			    "no cell with several clients was measured"},
};

/* --clients N of the cell (the reader's field); 0 for the classic one client */
static int64_t cell_clients(const struct rf_cell *c)
{
	return c->clients;
}

static bool spins(const struct rf_cell *c)
{
	return c->spin == 1 || !strcmp(c->wait, "spin");
}

static double cell_metric(const struct need_def *d, const struct rf_cell *c)
{
	if (!d->rate)
		return c->lat.count > 0 ? c->lat.pct[0] : NAN;
	return d->clients ? c->round_trips_per_sec : c->bytes_per_sec;
}

/* Of the need's pattern and shape (not yet its properties). */
static bool of_pattern(const struct need_def *d, const struct plot_cell *pc, size_t file)
{
	const struct rf_cell *c = pc->c;

	if (pc->file != file || strcmp(c->status, "ok") || strcmp(c->pattern, d->pattern) || c->msg_bytes <= 0)
		return false;
	/* one client (or one pair) is the plain exchange; several are the many-clients need's */
	if (d->clients != (cell_clients(c) > 1) || c->pairs > 1)
		return false;
	return !isnan(cell_metric(d, c));
}

static bool fits(const struct need_def *d, const struct rf_cell *c)
{
	if (d->no_spin && (c->spin != 0 || !strcmp(c->wait, "spin")))
		return false;
	if (d->prop == PROP_BY_NAME)
		return c->by_name == 1;
	if (d->prop == PROP_NETWORK)
		return c->network == 1;
	return true;
}

/* Cross CPU first (two processes on two CPUs, the common case), then nearest first. */
static int rel_pref(const char *rel)
{
	return strcmp(rel, "cross") ? 1 + plot_relation_rank(rel) : 0;
}

static bool better(const struct need_def *d, double x, double y)
{
	return d->rate ? x > y : x < y;
}

/* The size (and client count) ranked at: of the candidates, the largest N, then the size. */
static void pick_size(const struct need_def *d, const struct plot_cell **cand, size_t n, struct advice_answer *a)
{
	a->bytes = -1;
	a->clients = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rf_cell *c = cand[i]->c;
		int64_t k = cell_clients(c) > 1 ? cell_clients(c) : 0;

		if (k > a->clients) {
			a->clients = k;
			a->bytes = -1;
		}
		if (k != a->clients)
			continue;
		if (a->bytes < 0 || (d->largest ? c->msg_bytes > a->bytes : c->msg_bytes < a->bytes))
			a->bytes = c->msg_bytes;
	}
}

static bool at_size(const struct advice_answer *a, const struct rf_cell *c)
{
	return c->msg_bytes == a->bytes && (!a->clients || cell_clients(c) == a->clients);
}

/* Distinct transports of the candidates at the size and placement rel. */
static size_t count_mechanisms(const struct plot_cell **cand, size_t n, const struct advice_answer *a, const char *rel)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rf_cell *c = cand[i]->c;
		bool seen = false;

		if (!at_size(a, c) || strcmp(c->relation, rel))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = at_size(a, cand[j]->c) && !strcmp(cand[j]->c->relation, rel) &&
			       !strcmp(cand[j]->c->transport, c->transport);
		count += !seen;
	}
	return count;
}

/* The placement most mechanisms were measured at; ties by rel_pref. */
static void pick_relation(const struct plot_cell **cand, size_t n, struct advice_answer *a)
{
	size_t most = 0;

	a->rel = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *rel = cand[i]->c->relation;
		size_t k;

		if (!at_size(a, cand[i]->c))
			continue;
		k = count_mechanisms(cand, n, a, rel);
		if (k > most || (k == most && a->rel && rel_pref(rel) < rel_pref(a->rel))) {
			most = k;
			a->rel = rel;
		}
	}
	a->ranked = most;
}

/* Best first; equal figures by transport name, so the order never depends on the sort. */
static int cmp_pick_lat(const void *x, const void *y)
{
	const struct advice_pick *a = x, *b = y;
	int r = (a->metric > b->metric) - (a->metric < b->metric);

	return r ? r : strcmp(a->pc->c->transport, b->pc->c->transport);
}

static int cmp_pick_rate(const void *x, const void *y)
{
	const struct advice_pick *a = x, *b = y;
	int r = (a->metric < b->metric) - (a->metric > b->metric);

	return r ? r : strcmp(a->pc->c->transport, b->pc->c->transport);
}

/* Each mechanism's best cell at the size and placement, sorted best first; the count. */
static size_t best_per_transport(const struct need_def *d, const struct plot_cell **cand, size_t n,
				 const struct advice_answer *a, struct advice_pick *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rf_cell *c = cand[i]->c;
		double v = cell_metric(d, c);
		size_t j;

		if (!at_size(a, c) || strcmp(c->relation, a->rel))
			continue;
		for (j = 0; j < m && strcmp(out[j].pc->c->transport, c->transport); j++)
			;
		if (j == m)
			out[m++] = (struct advice_pick){.pc = cand[i], .metric = v};
		else if (better(d, v, out[j].metric))
			out[j] = (struct advice_pick){.pc = cand[i], .metric = v};
	}
	qsort(out, m, sizeof(*out), d->rate ? cmp_pick_rate : cmp_pick_lat);
	return m;
}

/* The property a need filters on: 1, 0, or -1 when the file predates properties. */
static int need_prop(const struct need_def *d, const struct rf_cell *c)
{
	if (d->prop == PROP_BY_NAME)
		return c->by_name;
	if (d->prop == PROP_NETWORK)
		return c->network;
	return d->no_spin ? c->spin : 0;
}

/* Why a need lists nothing: no cell of its pattern, none that fits, or properties unknown. */
static void why_none(const struct need_def *d, const struct plot_cell **cand, size_t npat, struct advice_answer *a)
{
	bool unknown = npat > 0;

	for (size_t i = 0; i < npat; i++)
		if (need_prop(d, cand[i]->c) != -1)
			unknown = false;
	if (!npat)
		snprintf(a->none, sizeof(a->none), "%s", d->none);
	else if (unknown)
		snprintf(a->none, sizeof(a->none),
			 "this result file predates the transports' properties: run it again with this ipcbench");
	else
		snprintf(a->none, sizeof(a->none), "%s", d->none_prop);
}

void advice_rank(const struct plot_set *ps, size_t file, enum advice_need need, struct advice_answer *a)
{
	const struct need_def *d = &needs[need];
	const struct plot_cell **cand = calloc(ps->ncells + 1, sizeof(*cand));
	struct advice_pick *all = calloc(ps->ncells + 1, sizeof(*all));
	size_t npat = 0, n = 0;

	memset(a, 0, sizeof(*a));
	a->need = need;
	if (!cand || !all) {
		snprintf(a->none, sizeof(a->none), "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ps->ncells; i++)
		if (of_pattern(d, &ps->cells[i], file))
			cand[npat++] = &ps->cells[i];
	/* the ones that fit first, the rest of the pattern after them for why_none */
	for (size_t i = 0; i < npat; i++) {
		if (fits(d, cand[i]->c)) {
			const struct plot_cell *t = cand[n];

			cand[n++] = cand[i];
			cand[i] = t;
		}
	}
	if (!n) {
		why_none(d, cand, npat, a);
		goto out;
	}
	pick_size(d, cand, n, a);
	pick_relation(cand, n, a);
	n = best_per_transport(d, cand, n, a, all);
	a->n = n < ADVICE_TOP ? n : ADVICE_TOP;
	memcpy(a->top, all, a->n * sizeof(*all));
out:
	free(cand);
	free(all);
}

/* ---- the section ---- */

static double cpu_per_msg(const struct rf_cell *c)
{
	const struct rf_cost *k = &c->cost;

	if (!k->present || isnan(k->cpu_ns_per_msg[0]) || isnan(k->cpu_ns_per_msg[1]))
		return NAN;
	return k->cpu_ns_per_msg[0] + k->cpu_ns_per_msg[1];
}

void advice_td(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	html_esc(f, s && *s ? s : "-");
	fputs("</td>", f);
}

void advice_td_ns(FILE *f, double ns)
{
	char b[32] = "-";

	if (!isnan(ns))
		units_ns(ns, UNITS_TEXT, b, sizeof(b));
	advice_td(f, "n", b);
}

/* messages/s (round trips/s for ping-pong), and bytes/s for stream */
static void td_rate(FILE *f, const struct rf_cell *c)
{
	char m[48], b[48], s[112];

	if (!strcmp(c->pattern, "pingpong")) {
		units_si(c->round_trips_per_sec, "", "", m, sizeof(m));
		snprintf(s, sizeof(s), "%s round trips/s", m);
	} else {
		units_si(c->bytes_per_sec, " ", "B/s", b, sizeof(b));
		units_si(c->msgs_per_sec, " ", "msg/s", m, sizeof(m));
		snprintf(s, sizeof(s), "%s (%s)", b, m);
	}
	advice_td(f, "n", isnan(c->msgs_per_sec) && isnan(c->round_trips_per_sec) ? NULL : s);
}

/* The mechanism's p50 (or rate) over the best's: "best", "2.31x the p50". */
static void td_relative(FILE *f, const struct need_def *d, const struct advice_answer *a, size_t i)
{
	char b[48];

	if (!i)
		snprintf(b, sizeof(b), "best");
	else if (d->rate)
		snprintf(b, sizeof(b), "%.2fx the %s", a->top[i].metric / a->top[0].metric,
			 d->clients ? "round trips/s" : "bytes/s");
	else
		snprintf(b, sizeof(b), "%.2fx the p50", a->top[i].metric / a->top[0].metric);
	advice_td(f, "n", b);
}

/* ---- the guides' properties, from the cell ---- */

static const char *kind_text(const struct rf_cell *c)
{
	if (!strcmp(c->kind, "message"))
		return "messages (keeps boundaries)";
	return !strcmp(c->kind, "stream") ? "byte stream" : c->kind;
}

static const char *direction_text(const struct rf_cell *c)
{
	return c->one_way == 1 ? "one way only" : c->one_way == 0 ? "both ways" : NULL;
}

static const char *reach_text(const struct rf_cell *c)
{
	if (c->network == 1)
		return "network: other hosts too";
	if (c->by_name == 1)
		return "unrelated processes (by a name)";
	return c->by_name == 0 ? "related processes (inherited)" : NULL;
}

static const char *blocking_text(const struct rf_cell *c)
{
	if (c->spin == 1)
		return "busy-polls (a spin transport)";
	if (!strcmp(c->wait, "spin"))
		return "busy-polls (--wait spin)";
	if (!strcmp(c->wait, "epoll"))
		return "sleeps in epoll_wait";
	if (!strcmp(c->wait, "poll"))
		return "sleeps in poll";
	return !strcmp(c->wait, "block") ? "sleeps in the kernel" : c->wait;
}

/* ---- trade-offs: what the figures and flags say against the need's best ---- */

struct phrases {
	char s[600];
	size_t len;
};

static void add(struct phrases *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct phrases *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len + 3 >= sizeof(p->s))
		return;
	if (p->len)
		p->len += (size_t)snprintf(p->s + p->len, sizeof(p->s) - p->len, "; ");
	va_start(ap, fmt);
	n = vsnprintf(p->s + p->len, sizeof(p->s) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->s) ? p->len + (size_t)n : sizeof(p->s) - 1;
}

/* The least CPU per message among a need's picks (NAN when none was measured). */
static double least_cpu(const struct advice_answer *a)
{
	double m = NAN;

	for (size_t i = 0; i < a->n; i++) {
		double v = cpu_per_msg(a->top[i].pc->c);

		if (!isnan(v) && (isnan(m) || v < m))
			m = v;
	}
	return m;
}

static void tradeoffs(const struct need_def *d, const struct advice_answer *a, const struct rf_cell *c,
		      struct phrases *p)
{
	double cpu = cpu_per_msg(c), low = least_cpu(a), p50 = c->lat.pct[0], p99 = c->lat.pct[2];

	if (spins(c))
		add(p, "keeps a CPU busy while it waits");
	if (!isnan(cpu) && !isnan(low) && low > 0 && cpu >= 1.5 * low)
		add(p, "%.1fx the CPU per message of the cheapest here", cpu / low);
	if (c->lat.count > 0 && p50 > 0 && p99 >= 10 * p50)
		add(p, "a long tail: p99 is %.0fx the p50", p99 / p50);
	if (c->by_name == 0)
		add(p, "only between related processes (the channel is inherited)");
	if (c->one_way == 1)
		add(p, "one way only: replies need a second channel");
	if (c->fragments_per_msg > 1)
		add(p, "each message took %" PRId64 " kernel messages", c->fragments_per_msg);
	if (c->raw_transport)
		add(p, "a library over %s", c->raw_transport);
	if (c->cost.threads[0] > 1 || c->cost.threads[1] > 1)
		add(p, "%" PRId64 " + %" PRId64 " threads (client + server)", c->cost.threads[0], c->cost.threads[1]);
	if (!p->len)
		add(p, "-");
}

/* ---- the table ---- */

#define ADVICE_COLS 11

static void pick_row(FILE *f, const struct need_def *d, const struct advice_answer *a, size_t i)
{
	const struct rf_cell *c = a->top[i].pc->c;
	struct phrases p = {.len = 0};
	char b[160];

	fprintf(f, "<tr class=\"pick\" data-rank=\"%zu\" data-transport=\"", i + 1);
	html_esc(f, c->transport);
	fputs("\" data-key=\"", f);
	html_esc(f, c->key);
	fprintf(f, "\"><td class=\"n\">%zu</td>", i + 1);
	snprintf(b, sizeof(b), "%s%s%s", c->variant, strcmp(c->wait, "block") ? ", --wait " : "",
		 strcmp(c->wait, "block") ? c->wait : "");
	advice_td(f, NULL, b);
	advice_td_ns(f, c->lat.count > 0 ? c->lat.pct[0] : NAN);
	advice_td_ns(f, c->lat.count > 0 ? c->lat.pct[2] : NAN);
	td_rate(f, c);
	advice_td_ns(f, cpu_per_msg(c));
	td_relative(f, d, a, i);
	advice_td(f, NULL, kind_text(c));
	advice_td(f, NULL, direction_text(c));
	advice_td(f, NULL, reach_text(c));
	advice_td(f, NULL, blocking_text(c));
	/* the limits and the trade-offs on a line of their own under the figures */
	tradeoffs(d, a, c, &p);
	fprintf(f, "</tr>\n<tr class=\"detail\"><td></td><td colspan=\"%d\"><span class=\"tradeoffs\">",
		ADVICE_COLS - 1);
	html_esc(f, p.s);
	fputs("</span><br><span class=\"limits\">Limits on this host: ", f);
	html_esc(f, c->limits_note ? c->limits_note : "-");
	fputs("</span></td></tr>\n", f);
}

/* The need's heading row: what it ranks by, at which size, placement and CPUs. */
static void need_head(FILE *f, const struct need_def *d, const struct advice_answer *a)
{
	char sz[32];

	fprintf(f, "<tr class=\"grp\"><th colspan=\"%d\">", ADVICE_COLS);
	html_esc(f, d->title);
	fputs("<span class=\"note\">", f);
	if (!a->n) {
		fputs("</span></th></tr>\n", f);
		return;
	}
	units_bytes(a->bytes, sz, sizeof(sz));
	fputs(": ", f);
	html_esc(f, d->ranked_by);
	fprintf(f, ", at %s", sz);
	if (a->clients)
		fprintf(f, " with %" PRId64 " clients", a->clients);
	fputs(", ", f);
	html_esc(f, plot_relation_title(a->rel));
	if (a->top[0].pc->c->client_cpu >= 0 && a->top[0].pc->c->server_cpu >= 0)
		fprintf(f, " (CPUs %d,%d)", a->top[0].pc->c->client_cpu, a->top[0].pc->c->server_cpu);
	fprintf(f, "; the best %zu of %zu mechanism%s measured there</span></th></tr>\n", a->n, a->ranked,
		a->ranked == 1 ? "" : "s");
}

static void need_body(FILE *f, const struct plot_set *ps, size_t file, enum advice_need need)
{
	const struct need_def *d = &needs[need];
	struct advice_answer a;

	advice_rank(ps, file, need, &a);
	fprintf(f, "<tbody class=\"need\" id=\"%s-%zu\" data-need=\"%s\" data-placement=\"", d->id, file, d->id);
	html_esc(f, a.rel ? a.rel : "");
	fprintf(f, "\" data-bytes=\"%" PRId64 "\">\n", a.n ? a.bytes : 0);
	need_head(f, d, &a);
	if (!a.n) {
		fprintf(f, "<tr class=\"none\"><td colspan=\"%d\">", ADVICE_COLS);
		html_esc(f, a.none);
		fputs("</td></tr>\n", f);
	}
	for (size_t i = 0; i < a.n; i++)
		pick_row(f, d, &a, i);
	fputs("</tbody>\n", f);
}

void advice_section(FILE *f, const struct plot_set *ps)
{
	fputs("<h2 id=\"advice\">Which should I use?</h2>\n<p class=\"note\">From this run's measurements alone: for "
	      "each need, the three best mechanisms, each by its best cell (variant and wait) at one size and at "
	      "the placement most of them were measured at (named in the heading; same-CPU and cross-CPU figures "
	      "are never ranked together). p50 and p99 are round trips (one way for stream); CPU per message is "
	      "client + server. The properties come from each cell's transport flags and the limits from what "
	      "the host applied; the other sizes and placements are in the summary table.</p>\n",
	      f);
	for (size_t file = 0; file < ps->nfiles; file++) {
		if (ps->nfiles > 1) {
			fputs("<h3>", f);
			html_esc(f, ps->files[file].path);
			fputs("</h3>\n", f);
		}
		fputs("<table class=\"advice\">\n<thead><tr><th>#</th><th>mechanism</th><th>p50</th><th>p99</th>"
		      "<th>throughput</th><th>CPU per msg</th><th>against the best</th><th>kind</th>"
		      "<th>direction</th><th>reach</th><th>waiting</th></tr>"
		      "<tr class=\"detail\"><th></th><th colspan=\"10\">trade-offs; limits on this "
		      "host</th></tr></thead>\n",
		      f);
		for (int n = 0; n < ADVICE__COUNT; n++)
			need_body(f, ps, file, (enum advice_need)n);
		fputs("</table>\n", f);
	}
}
