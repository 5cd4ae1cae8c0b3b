/*
 * cmd_serve.c - `ipcbench serve [--listen ADDR] [--token FILE] [--once]`:
 * waits for `ipcbench run --connect` clients and runs the server side of
 * their cells (harness/remote.h, docs/serve.md).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "harness/remote.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: ipcbench serve [options]\n\n"
		"Waits for `ipcbench run --connect ADDR` and runs the server side of each of its\n"
		"cells: the data goes through the transport itself, the time is the client's.\n"
		"Serves %d clients at once, their cells one at a time.\n\n"
		"      --listen ADDR      HOST:PORT (an IPv4 address; default 127.0.0.1:7878, port 0:\n"
		"                         any, printed) or a Unix socket path to create\n"
		"      --token FILE       clients must prove they know the secret in FILE (mode 600)\n"
		"      --once             serve one client, then exit\n"
		"      --clock SRC        auto (TSC where safe, default) or monotonic\n"
		"  -h, --help             this text\n\n"
		"Prints \"listening on ADDR\" once ready.  SIGINT or SIGTERM stops it: exit 0,\n"
		"its run directory removed.  Exit status: 0 stopped, 1 could not serve, 2 bad usage.\n",
		REMOTE_MAX_CLIENTS);
}

static void on_signal(int sig)
{
	harness_interrupt(sig);
}

static void on_listen(const char *addr)
{
	printf("listening on %s\n", addr);
	fflush(stdout);
}

static void on_log(const char *line)
{
	fprintf(stderr, "ipcbench serve: %s\n", line);
}

static void serve_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}, ign = {.sa_handler = SIG_IGN};

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'}, {"token", required_argument, NULL, 'k'},
		{"once", no_argument, NULL, '1'},	  {"clock", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	struct serve_options o = {.allow_tsc = true, .on_listen = on_listen, .log = on_log};
	struct remote_addr a;
	char err[700], buf[300];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (c == 'l')
			o.listen = optarg;
		else if (c == 'k')
			o.token_file = optarg;
		else if (c == '1')
			o.once = true;
		else if (c == 'c' && (!strcmp(optarg, "auto") || !strcmp(optarg, "monotonic")))
			o.allow_tsc = !strcmp(optarg, "auto");
		else if (c == 'c')
			die_usage("--clock: unknown clock '%s' (auto or monotonic)", optarg);
		else if (c == 'h')
			return serve_usage(stdout), EXIT_OK;
		else
			die_usage("serve: %s (see 'ipcbench serve --help')",
				  cmd_bad_option(c, argc, argv, buf, sizeof(buf)));
	}
	if (optind < argc)
		die_usage("serve: unexpected argument '%s'", argv[optind]);
	if (o.listen && remote_addr_parse(o.listen, &a, err, sizeof(err)))
		die_usage("--listen: %s", err);
	if (o.token_file) {
		char tok[REMOTE_TOKEN_MAX + 2];
		size_t len;

		if (remote_token_read(o.token_file, tok, sizeof(tok), &len, err, sizeof(err)))
			die_usage("%s", err);
		memset(tok, 0, sizeof(tok));
	}
	serve_signals();
	if (remote_serve(&o, err, sizeof(err))) {
		fprintf(stderr, "ipcbench serve: %s\n", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
