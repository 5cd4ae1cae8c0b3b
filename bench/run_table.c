/*
 * run_table.c - the terminal side of `ipcbench run` (see run_table.h).
 */
#include "bench/run_table.h"

#include <stdint.h>
#include <string.h>

#include "bench/cmd.h"
#include "common/units.h"
#include "harness/hdr/hist.h"

void run_table_print(FILE *f, const struct run_cell *cells, size_t n, bool show_wait, bool show_pattern)
{
	fprintf(f, "%-20s %s%-9s %-12s %s%9s %9s %9s %9s %10s %7s\n", "TRANSPORT", show_pattern ? "PATTERN  " : "",
		"SIZE", "PLACEMENT", show_wait ? "WAIT  " : "", "p50", "p99", "p99.9", "max", "rt/s", "xFLOOR");
	for (size_t i = 0; i < n; i++) {
		const struct run_cell *c = &cells[i];
		char size[32], place[32], p50[16], p99[16], p999[16], mx[16], rate[16], fl[16], name[300];

		if (!c->nreps)
			continue;
		units_bytes((int64_t)c->cfg.msg_bytes, size, sizeof(size));
		if (c->cfg.client_cpu >= 0)
			snprintf(place, sizeof(place), "%s %d,%d", relation_name(c->cfg.relation), c->cfg.client_cpu,
				 c->cfg.server_cpu);
		else
			snprintf(place, sizeof(place), "%s", relation_name(c->cfg.relation));
		transport_variant_name(c->cfg.ops, &c->cfg.opts, true, name, sizeof(name));
		if (c->cfg.peers == PEERS_EXEC) { /* the table's one mark of --peers exec */
			size_t len = strlen(name);

			snprintf(name + len, sizeof(name) - len, " (exec)");
		}
		if (c->cfg.pairs || c->cfg.clients)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), " x%u%s",
				 c->cfg.pairs ? c->cfg.pairs : c->cfg.clients, c->cfg.pairs ? "p" : "c");
		fprintf(f, "%-20s ", name);
		if (show_pattern)
			fprintf(f, "%-8s ", pattern_name(c->cfg.pattern));
		fprintf(f, "%-9s %-12s ", size, place);
		if (show_wait)
			fprintf(f, "%-5s ", wait_name(c->cfg.wait));
		if (c->res.status != CELL_OK) {
			fprintf(f, "%s: %.90s\n", cell_status_name(c->res.status), c->res.reason);
			continue;
		}
		if (c->res.latency.total_count) {
			units_ns((double)hist_value_at_percentile(&c->res.latency, 50), UNITS_ASCII, p50, sizeof(p50));
			units_ns((double)hist_value_at_percentile(&c->res.latency, 99), UNITS_ASCII, p99, sizeof(p99));
			units_ns((double)hist_value_at_percentile(&c->res.latency, 99.9), UNITS_ASCII, p999,
				 sizeof(p999));
			units_ns((double)hist_max(&c->res.latency), UNITS_ASCII, mx, sizeof(mx));
		} else {
			snprintf(p50, sizeof(p50), "-");
			snprintf(p99, sizeof(p99), "-");
			snprintf(p999, sizeof(p999), "-");
			snprintf(mx, sizeof(mx), "-");
		}
		if (c->cfg.pattern == PATTERN_PINGPONG || c->cfg.pattern == PATTERN_UNDERLOAD) {
			units_si(c->res.round_trips_per_sec, "", "", rate, sizeof(rate));
		} else if (!c->cfg.msg_bytes) { /* bare wake-ups: no bytes to count */
			units_si(c->res.msgs_per_sec, "", "", rate, sizeof(rate));
			snprintf(rate + strlen(rate), sizeof(rate) - strlen(rate), "/s");
		} else {
			units_si(c->res.bytes_per_sec, "", "", rate, sizeof(rate));
			snprintf(rate + strlen(rate), sizeof(rate) - strlen(rate), "B/s");
		}
		if (run_cell_vs_floor(c) > 0)
			snprintf(fl, sizeof(fl), "%.1fx", run_cell_vs_floor(c));
		else
			snprintf(fl, sizeof(fl), "-");
		fprintf(f, "%9s %9s %9s %9s %10s %7s\n", p50, p99, p999, mx, rate, fl);
	}
}

void run_table_progress(size_t i, size_t n, const struct run_cell *c, bool on)
{
	char size[32], name[300];

	if (!on)
		return;
	units_bytes((int64_t)c->cfg.msg_bytes, size, sizeof(size));
	transport_variant_name(c->cfg.ops, &c->cfg.opts, true, name, sizeof(name));
	fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %s %s %s", i + 1, n, name, pattern_name(c->cfg.pattern), size,
		relation_name(c->cfg.relation), wait_name(c->cfg.wait));
	fflush(stderr);
}

/* A floor that a real transport beats is no floor: the floor is wrong, and the cell says so. */
void run_table_warn_floors(const struct run_result *rr)
{
	for (size_t i = 0; i < rr->ncells; i++) {
		const struct run_cell *c = &rr->cells[i];
		double vs = run_cell_vs_floor(c);
		char size[32], p50[16], fl[16];

		if (vs <= 0 || vs >= RUN_FLOOR_BEATEN)
			continue;
		units_bytes((int64_t)c->cfg.msg_bytes, size, sizeof(size));
		units_ns((double)hist_value_at_percentile(&c->res.latency, 50), UNITS_ASCII, p50, sizeof(p50));
		units_ns(c->floor_ns, UNITS_ASCII, fl, sizeof(fl));
		warnx_("%s %s %s %s %d,%d %s: p50 %s is %.2fx its floor (%s, %s): a floor a real transport beats is a "
		       "bug in the floor",
		       c->cfg.ops->name, pattern_name(c->cfg.pattern), size, relation_name(c->cfg.relation),
		       c->cfg.client_cpu, c->cfg.server_cpu, wait_name(c->cfg.wait), p50, vs, c->floor_name, fl);
	}
}
