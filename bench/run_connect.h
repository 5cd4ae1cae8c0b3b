/*
 * run_connect.h - `run --connect ADDR [--token FILE]`: the cells' server
 * sides run in `ipcbench serve` at ADDR (harness/remote.h), kept out of
 * cmd_run.c.
 */
#ifndef IPCBENCH_RUN_CONNECT_H
#define IPCBENCH_RUN_CONNECT_H

#include <stdbool.h>

#include "harness/remote.h"
#include "harness/result.h"

/* The count of a cell through a server when no -n is given: its end must be known to both. */
#define CONNECT_DEFAULT_ITERATIONS 20000

enum { CONNECT_OPT_CONNECT = 640, CONNECT_OPT_TOKEN };

#define CONNECT_LONGOPTS                                            \
	{"connect", required_argument, NULL, CONNECT_OPT_CONNECT},  \
	{                                                           \
		"token", required_argument, NULL, CONNECT_OPT_TOKEN \
	}

#define CONNECT_USAGE                                                                               \
	"      --connect ADDR     run the server sides in `ipcbench serve` at ADDR (HOST:PORT or\n" \
	"                         a Unix socket path); pingpong and stream, a fixed count\n"        \
	"                         (-n, default 20000), transports that rendezvous by name\n"        \
	"      --token FILE       the secret the server was started with (--token FILE)\n"

struct run_connect {
	const char *addr;
	const char *token;
	struct remote_conn rc;
	bool open;
};

/* One of CONNECT_OPT_*: kept in c; false for any other option. */
bool run_connect_option(int c, const char *arg, struct run_connect *rc);
/* Before the defaults: a fixed count instead of a duration or --precision.  Usage errors die. */
void run_connect_defaults(struct run_connect *c, struct run_options *o, bool precision_set);
/* Once the options are known: the combinations --connect refuses, then the connection.  Errors die (2). */
void run_connect_open(struct run_connect *c, struct run_options *o);
void run_connect_close(struct run_connect *c);

#endif
