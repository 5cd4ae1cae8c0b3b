/*
 * compare_names.c - the names of compare's metrics and verdicts as the
 * command line and the outputs spell them, and its default options.
 */
#include "harness/analysis/compare.h"

#include <errno.h>
#include <string.h>

static const char *const verdict_names[COMPARE_VERDICT__COUNT][2] = {
	[COMPARE_UNCHANGED] = {"unchanged", "unchanged"},
	[COMPARE_IMPROVED] = {"improved", "improved"},
	[COMPARE_REGRESSED] = {"regressed", "regressed"},
	[COMPARE_INCONCLUSIVE] = {"inconclusive", "inconclusive"},
	[COMPARE_INSUFFICIENT] = {"insufficient samples", "insufficient_samples"},
	[COMPARE_INCOMPARABLE] = {"incomparable", "incomparable"},
	[COMPARE_FAILED] = {"failed", "failed"},
};

const char *compare_verdict_name(enum compare_verdict v)
{
	return v < COMPARE_VERDICT__COUNT ? verdict_names[v][0] : "?";
}

const char *compare_verdict_id(enum compare_verdict v)
{
	return v < COMPARE_VERDICT__COUNT ? verdict_names[v][1] : "?";
}

int compare_metric_parse(const char *s, unsigned int *mask)
{
	if (!strcmp(s, "all")) {
		*mask |= COMPARE_ALL_METRICS;
		return 0;
	}
	if (!strcmp(s, "throughput")) {
		*mask |= 1u << COMPARE_ROUND_TRIPS | 1u << COMPARE_MSGS | 1u << COMPARE_BYTES;
		return 0;
	}
	if (!strcmp(s, "latency")) {
		*mask |= 1u << COMPARE_P50 | 1u << COMPARE_P99 | 1u << COMPARE_P999 | 1u << COMPARE_MEAN;
		return 0;
	}
	for (int m = 0; m < COMPARE_METRIC__COUNT; m++) {
		if (!strcmp(s, compare_metric_name((enum compare_metric)m))) {
			*mask |= 1u << m;
			return 0;
		}
	}
	return -EINVAL;
}

void compare_options_init(struct compare_options *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = COMPARE_DEFAULT_THRESHOLD;
	o->alpha = COMPARE_DEFAULT_ALPHA;
	o->noise_factor = COMPARE_DEFAULT_NOISE_FACTOR;
	o->metrics = COMPARE_ALL_METRICS;
	o->holm = true;
	o->min_reps = COMPARE_MIN_REPS;
	o->warn_reps = COMPARE_WARN_REPS;
}
