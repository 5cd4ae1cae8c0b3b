/*
 * result.c - summaries of a run's result in memory (see result.h).
 */
#include "harness/result.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void result_now_iso(char *out, size_t outlen)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void lat_summary_from(const struct hist *h, struct lat_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->count = h->total_count;
	s->min = hist_min(h);
	s->max = hist_max(h);
	s->mean = hist_mean(h);
	s->stddev = hist_stddev(h);
	for (int i = 0; i < SCHEMA_NPCT; i++)
		s->pct[i] = hist_value_at_percentile(h, schema_pcts[i].p);
	s->out_of_range = h->out_of_range;
}

void rep_summary_from(const struct cell_result *res, struct rep_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->status = res->status;
	snprintf(s->reason, sizeof(s->reason), "%s", res->reason);
	lat_summary_from(&res->latency, &s->lat);
	s->lat.raw_min = res->raw_min_ns;
	s->lat.raw_max = res->raw_max_ns;
	s->count = res->count;
	s->elapsed_ns = res->elapsed_ns;
	s->round_trips_per_sec = res->round_trips_per_sec;
	s->msgs_per_sec = res->msgs_per_sec;
	s->bytes_per_sec = res->bytes_per_sec;
	s->rate_achieved_per_sec = res->rate_achieved_per_sec;
	s->cost[0] = res->cost[0];
	s->cost[1] = res->cost[1];
	s->have_cost = res->have_cost;
}

double run_cell_vs_floor(const struct run_cell *c)
{
	if (c->floor_ns <= 0 || c->res.status != CELL_OK || !c->res.latency.total_count)
		return 0;
	return (double)hist_value_at_percentile(&c->res.latency, 50) / c->floor_ns;
}
