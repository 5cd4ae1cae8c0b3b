/*
 * test_compare_gate.c - the "failed" verdict of harness/analysis/compare.c
 * (issue 20, defect 17): a new side that fails repetitions of a cell whose
 * base repetitions all pass, or passes none where the base passes some,
 * fails the gate; a cell both sides fail now and then is compared over its
 * ok repetitions as before.  Synthetic result files built in memory.
 */
#include "harness/analysis/compare.h"
#include "harness/analysis/compare_out.h"
#include "tests/runner.h"
#include "tests/unit/comparefix.h"

#include <math.h>

#define NREPS 15

static struct synth sb, sn;

/* A pingpong cell of n repetitions around p50 ns; the first nfail of them failed. */
static struct rf_cell *add_cell(struct synth *s, const char *transport, double p50, size_t n, size_t nfail)
{
	struct rf_cell *c = synth_cell_add(s, transport, "pingpong", n);

	c->status = (char *)(nfail ? "error" : "ok");
	c->error = nfail ? (char *)"repetition 1: pipe: send: Input/output error" : NULL;
	for (size_t i = 0; i < n; i++) {
		struct rf_rep *r = &c->reps[i];
		double v = p50 * (1 + 0.01 * (double)(i % 3));

		r->status = (char *)(i < nfail ? "error" : "ok");
		r->lat.count = 100000;
		for (int p = 0; p < SCHEMA_NPCT; p++)
			r->lat.pct[p] = v * (1 + p);
		r->lat.mean = v;
		r->round_trips_per_sec = 1e9 / v;
		r->msgs_per_sec = r->bytes_per_sec = r->rate_achieved_per_sec = NAN;
	}
	return c;
}

/* A new file of one pipe cell whose first nfail of NREPS repetitions failed, compared with sb. */
static void gate_new(size_t nfail, struct compare_result *res)
{
	synth_init(&sn, "cpu");
	add_cell(&sn, "pipe", 5000, NREPS, nfail);
	synth_run(&sb, &sn, NULL, res);
}

/* Base and new of one pipe cell, nfail_base and nfail_new of NREPS repetitions failed, compared. */
static void gate_pipe(size_t nfail_base, size_t nfail_new, struct compare_result *res)
{
	synth_init(&sb, "cpu");
	add_cell(&sb, "pipe", 5000, NREPS, nfail_base);
	gate_new(nfail_new, res);
}

/* base passes every repetition; new fails most: the gate fails, saying why */
TEST(new_failing_most_repetitions_is_failed)
{
	struct compare_result res;
	char line[400];

	synth_init(&sb, "cpu");
	synth_init(&sn, "cpu");
	add_cell(&sb, "pipe", 5000, NREPS, 0);
	add_cell(&sb, "tcp", 9000, NREPS, 0);
	add_cell(&sn, "pipe", 5000, NREPS, 12);
	add_cell(&sn, "tcp", 9000, NREPS, 0);
	synth_run(&sb, &sn, NULL, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	CHECK_EQ_I64(res.cells[0].cand_failed, 12);
	CHECK_MSG(strstr(res.cells[0].reason, "12 of 15 new repetitions failed, all 15 of base passed"), "reason: %s",
		  res.cells[0].reason);
	CHECK_MSG(strstr(res.cells[0].reason, "pipe: send: Input/output error"), "reason: %s", res.cells[0].reason);
	CHECK_EQ_I64(res.cells[1].verdict, COMPARE_UNCHANGED);
	CHECK_EQ_I64(res.failed, 1);
	CHECK_EQ_I64(res.regressions, 0);
	CHECK_EQ_I64(res.cell_counts[COMPARE_FAILED], 1);
	/* a failed cell has no metrics: the Holm family holds tcp's only */
	CHECK(!res.cells[0].m[COMPARE_P50].present);
	CHECK_EQ_I64(res.ntested, 5);
	CHECK_EQ_STR(compare_gate_text(&res), "FAILED");
	compare_gate_reason(&res, line, sizeof(line));
	CHECK_MSG(!strncmp(line, "pipe failed: 12 of 15", 21), "gate reason: %s", line);
	compare_summary_line(&res, line, sizeof(line));
	CHECK_MSG(!strncmp(line, "1 failed, 0 regressed, 0 improved, 1 unchanged", 46), "summary: %s", line);
	compare_result_release(&res);
}

/* new fails every repetition: failed, not incomparable */
TEST(new_failing_every_repetition_is_failed)
{
	struct compare_result res;

	gate_pipe(0, NREPS, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	CHECK_MSG(strstr(res.cells[0].reason, "15 of 15 new repetitions failed"), "reason: %s", res.cells[0].reason);
	CHECK_EQ_I64(res.failed, 1);
	compare_result_release(&res);

	/* so does a single failed repetition where the base passed all */
	gate_new(1, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	compare_result_release(&res);
}

/* a flaky base does not excuse a new side that passes nothing */
TEST(no_ok_repetition_where_the_base_has_some_is_failed)
{
	struct compare_result res;

	gate_pipe(2, NREPS, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	CHECK_MSG(strstr(res.cells[0].reason, "15 of 15 new repetitions failed, 13 of 15 of base passed"), "reason: %s",
		  res.cells[0].reason);
	compare_result_release(&res);
}

/* both sides fail now and then: compared over the ok repetitions, noted */
TEST(both_sides_flaky_are_left_out_and_noted)
{
	struct compare_result res;

	gate_pipe(2, 3, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_UNCHANGED);
	CHECK_EQ_I64(res.cells[0].base_reps, 13);
	CHECK_EQ_I64(res.cells[0].cand_reps, 12);
	CHECK_EQ_STR(res.cells[0].reason, "left out failed repetitions: 2 of base, 3 of new");
	CHECK_EQ_I64(res.failed, 0);
	CHECK_EQ_STR(compare_gate_text(&res), "passed");
	compare_result_release(&res);

	/* base failing where new passes: not the candidate's fault, as before */
	gate_new(0, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_UNCHANGED);
	CHECK_EQ_I64(res.failed, 0);
	compare_result_release(&res);
}

/* a base that passes nothing cannot judge: incomparable, as before */
TEST(base_without_ok_repetition_is_incomparable)
{
	struct compare_result res;

	gate_pipe(NREPS, 4, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_INCOMPARABLE);
	CHECK_MSG(strstr(res.cells[0].reason, "no ok repetition in base"), "reason: %s", res.cells[0].reason);
	CHECK_EQ_I64(res.failed, 0);
	compare_result_release(&res);
}

/* a file without per-repetition summaries: the cell's own status counts */
TEST(cell_without_repetitions_fails_by_its_status)
{
	struct compare_result res;
	struct rf_cell *c;

	synth_init(&sb, "cpu");
	synth_init(&sn, "cpu");
	add_cell(&sb, "pipe", 5000, NREPS, 0);
	c = add_cell(&sn, "pipe", 5000, 0, 0);
	c->status = (char *)"error";
	c->error = (char *)"harness: Broken pipe";
	synth_run(&sb, &sn, NULL, &res);
	CHECK_EQ_I64(res.cells[0].verdict, COMPARE_FAILED);
	CHECK_MSG(strstr(res.cells[0].reason,
			 "1 of 1 new repetitions failed, all 15 of base passed (error: harness: Broken pipe)"),
		  "reason: %s", res.cells[0].reason);
	compare_result_release(&res);
}

TEST(verdict_names)
{
	CHECK_EQ_STR(compare_verdict_name(COMPARE_FAILED), "failed");
	CHECK_EQ_STR(compare_verdict_id(COMPARE_FAILED), "failed");
}

static const struct test_case cases[] = {
	T(new_failing_most_repetitions_is_failed),
	T(new_failing_every_repetition_is_failed),
	T(no_ok_repetition_where_the_base_has_some_is_failed),
	T(both_sides_flaky_are_left_out_and_noted),
	T(base_without_ok_repetition_is_incomparable),
	T(cell_without_repetitions_fails_by_its_status),
	T(verdict_names),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
