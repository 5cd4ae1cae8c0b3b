/*
 * confcell.c - the shared cell and availability check of the conformance
 * suites (confcell.h).
 */
#include <unistd.h>

#include "tests/conformance/confcell.h"
#include "tests/runner.h"

struct cell_config confcell_config(const struct transport_ops *ops, enum pattern p, size_t msg_bytes,
				   const char *run_dir)
{
	struct cell_config c = {
		.ops = ops,
		.pattern = p,
		.msg_bytes = msg_bytes,
		.client_cpu = 0,
		.server_cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0,
		.relation = REL_CROSS,
		.wait = CHAN_WAIT_BLOCK,
		.warmup = 5,
		.iterations = msg_bytes > 65536 ? 20 : 100,
		.timeout_ms = 5000,
		.run_dir = run_dir,
	};
	return c;
}

void confcell_probe_or_skip(const struct transport_ops *ops, struct chan_limits *lim)
{
	char why[300];

	if (cell_probe(ops, lim, why, sizeof(why)))
		SKIP("%s not available here: %s", ops->name, why);
}
