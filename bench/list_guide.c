/*
 * list_guide.c - the IPC guides' table in `ipcbench list`: for each
 * transport, who can use it (related processes, unrelated ones on this
 * host, processes on another host), whether it keeps message boundaries,
 * and which way data flows.  Everything comes from the transport's flags
 * (transport.h), so the table cannot disagree with what --peers exec and
 * serve accept.
 */
#include <stdio.h>

#include "bench/list_guide.h"
#include "transports/transport.h"

static const char *yes_no(bool b)
{
	return b ? "yes" : "-";
}

void list_guide(FILE *f)
{
	fprintf(f, "%-22s %-8s %-10s %-11s %-8s %s\n", "TRANSPORT", "RELATED", "UNRELATED", "OTHER HOST", "KIND",
		"DIRECTION");
	for (size_t i = 0; i < transport_count; i++) {
		const struct transport_ops *ops = transport_table[i];
		unsigned fl = ops->flags;

		/* every transport serves forked relatives: that is how `run` measures by default */
		fprintf(f, "%-22s %-8s %-10s %-11s %-8s %s\n", ops->name, "yes", yes_no(fl & TRANSPORT_BY_NAME),
			yes_no(fl & TRANSPORT_NETWORK), ops->kind == CHAN_STREAM ? "stream" : "message",
			(fl & TRANSPORT_ONE_WAY) ? "one-way" : "both ways");
	}
	fprintf(f, "\nrelated: forked from the process that made the channel (run --peers fork); unrelated:\n"
		   "separately started processes that find it by a name (run --peers exec, serve); other\n"
		   "host: serve / run --connect between machines.\n");
}
