/*
 * run_connect.c - `run --connect` (see run_connect.h).
 */
#include "bench/run_connect.h"

#include <stdio.h>

#include "bench/cmd.h"

bool run_connect_option(int c, const char *arg, struct run_connect *rc)
{
	if (c == CONNECT_OPT_CONNECT)
		rc->addr = arg;
	else if (c == CONNECT_OPT_TOKEN)
		rc->token = arg;
	else
		return false;
	return true;
}

void run_connect_defaults(struct run_connect *c, struct run_options *o, bool precision_set)
{
	if (!c->addr) {
		if (c->token)
			die_usage("--token applies only with --connect ADDR");
		return;
	}
	if (o->duration_ns)
		die_usage(
			"--connect measures a fixed count of messages (-n): the server cannot read the client's clock "
			"to end a cell at a --duration");
	if (precision_set)
		die_usage("--connect and --precision cannot be combined: the server cannot read the client's clock "
			  "to end a cell");
	if (!o->iterations)
		o->iterations = CONNECT_DEFAULT_ITERATIONS;
}

void run_connect_open(struct run_connect *c, struct run_options *o)
{
	char err[700];

	if (!c->addr)
		return;
	for (size_t i = 0; i < o->npatterns; i++) {
		if (o->patterns[i] == PATTERN_RATE)
			die_usage(
				"--connect: --pattern rate is refused: its figure is one-way latency, which needs one "
				"clock at both ends, and the server's is not the client's");
		if (o->patterns[i] == PATTERN_UNDERLOAD)
			die_usage("--connect: --pattern underload needs a third process beside the server's");
	}
	if (o->npairs || o->nclients)
		die_usage("--connect measures one pair: not with --pairs or --clients");
	if (o->npeers != 1 || o->peers[0] != PEERS_FORK)
		die_usage("--connect and --peers cannot be combined: the server starts its own side");
	if (o->hlog_dir)
		die_usage("--connect and --hlog cannot be combined");
	if (remote_connect(c->addr, c->token, &c->rc, err, sizeof(err)))
		die_usage("--connect: %s", err);
	c->open = true;
	o->remote = &c->rc;
	if (c->rc.other_host) { /* the server's CPUs are not this host's: no local floor, relation remote */
		for (size_t i = 0; i < o->nplacements; i++)
			o->placements[i].relation = REL_REMOTE;
		o->floors = RUN_FLOORS_NONE;
	}
}

void run_connect_close(struct run_connect *c)
{
	if (c->open)
		remote_close(&c->rc);
	c->open = false;
}
