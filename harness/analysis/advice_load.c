/*
 * advice_load.c - the report's table of what the summary table has no
 * column for (see advice.h): each measured cell's named transport
 * counters (file's torn_reads) and, for --pattern underload, the probes'
 * figures against the background flood.
 */
#include "harness/analysis/advice.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "common/units.h"
#include "harness/analysis/html.h"

/* three significant digits */
static void td_num(FILE *f, double v)
{
	char b[48] = "-";

	if (!isnan(v))
		snprintf(b, sizeof(b), "%.3g", v);
	advice_td(f, "n", b);
}

static void td_count(FILE *f, int64_t v)
{
	char b[32] = "-";

	if (v >= 0)
		snprintf(b, sizeof(b), "%" PRId64, v);
	advice_td(f, "n", b);
}

/* "torn_reads 3, retries 0" */
static void td_counters(FILE *f, const struct rf_cell *c)
{
	fputs("<td class=\"counters\">", f);
	for (size_t i = 0; i < c->ncounters; i++) {
		fputs(i ? ", " : "", f);
		html_esc(f, c->counters[i].name);
		if (c->counters[i].value < 0)
			fputs(" -", f);
		else
			fprintf(f, " %" PRId64, c->counters[i].value);
	}
	fputs(c->ncounters ? "</td>" : "-</td>", f);
}

/* The flood's rate, and its target with --rate. */
static void td_background(FILE *f, const struct rf_underload *u)
{
	char r[48], t[48], b[112];

	if (!u->present || isnan(u->background_msgs_per_sec)) {
		advice_td(f, "n", NULL);
		return;
	}
	units_si(u->background_msgs_per_sec, " ", "msg/s", r, sizeof(r));
	if (!isnan(u->background_rate_target_per_sec)) {
		units_si(u->background_rate_target_per_sec, " ", "msg/s", t, sizeof(t));
		snprintf(b, sizeof(b), "%s (asked %s)", r, t);
	} else {
		snprintf(b, sizeof(b), "%s", r);
	}
	advice_td(f, "n", b);
}

static void td_time(FILE *f, const struct rf_cell *c, int pct)
{
	advice_td_ns(f, c->lat.count > 0 ? c->lat.pct[pct] : NAN);
}

static void load_row(FILE *f, const struct rf_cell *c)
{
	const struct rf_underload *u = &c->underload;
	char b[64];

	fputs("<tr data-key=\"", f);
	html_esc(f, c->key);
	fputs("\">", f);
	advice_td(f, NULL, c->variant);
	advice_td(f, NULL, c->pattern);
	units_bytes(c->msg_bytes, b, sizeof(b));
	advice_td(f, "n", b);
	if (c->client_cpu >= 0 && c->server_cpu >= 0)
		snprintf(b, sizeof(b), "%s %d,%d", c->relation, c->client_cpu, c->server_cpu);
	else
		snprintf(b, sizeof(b), "%s", c->relation);
	advice_td(f, NULL, b);
	advice_td(f, NULL, c->wait);
	td_counters(f, c);
	td_count(f, u->present ? u->probes : -1);
	td_time(f, c, 0);
	td_time(f, c, 2);
	td_background(f, u);
	td_num(f, u->present ? u->queued_behind_per_probe : NAN);
	td_num(f, u->present ? u->overtaken_per_probe : NAN);
	td_count(f, u->present ? u->background_lost : -1);
	fputs("</tr>\n", f);
}

static bool has_load(const struct rf_cell *c)
{
	return !strcmp(c->status, "ok") && (c->ncounters > 0 || c->underload.present);
}

void advice_load_table(FILE *f, const struct plot_set *ps)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++)
		n += has_load(ps->cells[i].c);
	if (!n)
		return;
	fputs("<h3 id=\"load\">Transport counters and underload</h3>\n<p class=\"note\">Counters are the transport's "
	      "own, both sides summed over the repetitions. For underload cells the latency is the probes' round "
	      "trip while a third process floods the server; queued behind: background messages the server took "
	      "while a probe waited; overtaken: background messages sent before a probe and taken after it.</p>\n"
	      "<table class=\"load\">\n<thead><tr><th>transport</th><th>pattern</th><th>size</th><th>placement</th>"
	      "<th>wait</th><th>counters</th><th>probes</th><th>p50</th><th>p99</th><th>background</th>"
	      "<th>queued behind per probe</th><th>overtaken per probe</th><th>background lost</th></tr></thead>\n"
	      "<tbody>\n",
	      f);
	for (size_t i = 0; i < ps->ncells; i++)
		if (has_load(ps->cells[i].c))
			load_row(f, ps->cells[i].c);
	fputs("</tbody>\n</table>\n", f);
}
