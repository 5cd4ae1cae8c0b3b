/*
 * test_rpcnet.c - what `ipcbench serve` asks of udp, oncrpc and grpc
 * across hosts, driven through the hooks in this process and one child:
 *
 *  bind        create() with ch->net_addr set binds that address, and a
 *              client that has only a byte copy of priv (adopted, as
 *              serve's client has) reaches it: 127.0.0.2 stands for the
 *              address a remote client reached (all of 127/8 is local),
 *              so a transport that still bound 127.0.0.1 fails here;
 *              verified echoes both ways
 *  refuse      the Unix-socket variants (oncrpc:net=unix, grpc:net=unix)
 *              refuse a net_addr with one line naming :net=tcp, and leave
 *              nothing in the run directory
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/cleanup.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/runner.h"
#include "transports/transport.h"

#define RPCNET_ADDR 0x7f000002u /* 127.0.0.2 */
#define RPCNET_MSGS 20
#define RPCNET_SIZE 4097

static char run_dir[4096];

struct netvar {
	const char *name, *net; /* net: the value of the "net" option, NULL for none */
};

/* A channel of the variant with net_addr set, its options given. */
static void net_chan(const struct netvar *v, struct chan *ch, char *tag, size_t taglen)
{
	const struct transport_ops *ops = transport_find(v->name);
	struct chan_limits lim;

	CHECK_MSG(ops != NULL, "%s is not registered", v->name);
	confcell_probe_or_skip(ops, &lim);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
	rundir_new_tag(tag, taglen);
	*ch = (struct chan){.msg_bytes = RPCNET_SIZE, .run_dir = run_dir, .tag = tag, .timeout_ms = 5000};
	ch->net_addr = htonl(RPCNET_ADDR);
	ch->client_by_name = true; /* as under serve: the client has only the names */
	if (v->net) {
		int i = transport_option_find(ops, "net");
		const char *const *vals;

		CHECK(i >= 0);
		vals = ops->options[i].values;
		for (long long k = 0; vals[k]; k++)
			if (!strcmp(vals[k], v->net) && k != ops->options[i].def) {
				ch->opts.given |= 1u << i;
				ch->opts.val[i] = k;
			}
	}
	ch->ops = ops;
}

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, RUNDIR_MARKER))
			empty = false;
	if (d)
		closedir(d);
	return empty;
}

/* The child: the server, echoing RPCNET_MSGS messages; its exit status says how it went. */
static void serve_echo(struct chan *ch)
{
	static unsigned char buf[RPCNET_SIZE];
	int r = chan_attach(ch, CHAN_SERVER);

	for (int i = 0; !r && i < RPCNET_MSGS; i++) {
		r = chan_recv(ch, buf, sizeof(buf));
		if (!r)
			r = chan_send(ch, buf, sizeof(buf));
	}
	if (r)
		fprintf(stderr, "server: %s\n", ch->errmsg);
	chan_detach(ch);
	_exit(r ? 1 : 0);
}

/* Whether a live TCP (listening or established, not TIME_WAIT) or a UDP socket is bound at 127.0.0.2. */
static bool some_socket_at_test_addr(void)
{
	const char *files[] = {"/proc/net/udp", "/proc/net/tcp", "/proc/net/tcp6"}; /* gRPC: ::ffff:127.0.0.2 */
	char line[512], local[64];
	unsigned int st;
	bool found = false;

	for (int i = 0; i < 3 && !found; i++) {
		FILE *f = fopen(files[i], "re");

		while (f && !found && fgets(line, sizeof(line), f))
			found = sscanf(line, "%*s %63s %*s %x", local, &st) == 2 &&
				(!strncmp(local, "0200007F:", 9) ||
				 !strncmp(local, "0000000000000000FFFF00000200007F:", 33)) &&
				(i == 0 || st == 0x01 || st == 0x0a);
		if (f)
			fclose(f);
	}
	return found;
}

/* The client, from a byte copy of priv adopted as serve's client does: round trips verified. */
static void client_echo(const struct chan *made)
{
	static unsigned char out[RPCNET_SIZE], in[RPCNET_SIZE];
	struct chan ch = *made;
	int r;

	ch.priv = malloc(made->ops->priv_size);
	CHECK(ch.priv != NULL);
	memcpy(ch.priv, made->priv, made->ops->priv_size);
	if (ch.ops->adopt)
		ch.ops->adopt(&ch);
	r = chan_attach(&ch, CHAN_CLIENT);
	test_context("%s client: %s", ch.ops->name, ch.errmsg);
	CHECK_EQ_I64(r, 0);
	for (int i = 0; !r && i < RPCNET_MSGS; i++) {
		for (size_t k = 0; k < sizeof(out); k++)
			out[k] = (unsigned char)(k * 7 + (size_t)i);
		r = chan_send(&ch, out, sizeof(out));
		if (!r)
			r = chan_recv(&ch, in, sizeof(in));
		CHECK_EQ_I64(r, 0);
		CHECK(!memcmp(in, out, sizeof(out)));
		if (i == 0)
			CHECK_MSG(some_socket_at_test_addr(),
				  "no socket bound at 127.0.0.2 (the server bound another)");
	}
	chan_detach(&ch);
	free(ch.priv);
}

static void case_bind(void)
{
	const struct netvar *v = test_arg;
	struct chan ch;
	char tag[64];
	int st = 0;
	pid_t pid;

	net_chan(v, &ch, tag, sizeof(tag));
	test_context("%s:net=%s create at 127.0.0.2: %s", v->name, v->net ? v->net : "-", ch.errmsg);
	CHECK_EQ_I64(chan_open(&ch, ch.ops), 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		serve_echo(&ch);
	client_echo(&ch);
	CHECK_EQ_I64(waitpid(pid, &st, 0), pid);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server side failed (status %d)", st);
	chan_close(&ch);
	rundir_remove(run_dir);
}

static void case_refuse(void)
{
	const struct netvar *v = test_arg;
	struct chan ch;
	char tag[64];

	net_chan(v, &ch, tag, sizeof(tag));
	CHECK(chan_open(&ch, ch.ops) < 0);
	test_context("%s refused with: %s", v->name, ch.errmsg);
	CHECK(strstr(ch.errmsg, "joins processes of one host") && strstr(ch.errmsg, ":net=tcp"));
	CHECK(!strchr(ch.errmsg, '\n'));
	chan_close(&ch);
	CHECK_MSG(dir_empty(run_dir), "something was left in %s", run_dir);
	rundir_remove(run_dir);
}

static const struct netvar bind_vars[] = {
	{"udp", NULL}, {"oncrpc", "tcp"}, {"oncrpc", "udp"}, {"grpc", "tcp"}, {"tcp", NULL},
};
static const struct netvar refuse_vars[] = {{"oncrpc", NULL}, {"grpc", NULL}};

int main(int argc, char **argv)
{
	static struct test_case cases[16];
	static char names[16][48];
	size_t n = 0;

	struct sigaction ign = {.sa_handler = SIG_IGN};

	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
	for (size_t i = 0; i < sizeof(bind_vars) / sizeof(bind_vars[0]); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "%s%s%s/bind", bind_vars[i].name, bind_vars[i].net ? ":" : "",
			 bind_vars[i].net ? bind_vars[i].net : "");
		cases[n] = (struct test_case){names[n], case_bind, 60, &bind_vars[i]};
	}
	for (size_t i = 0; i < sizeof(refuse_vars) / sizeof(refuse_vars[0]); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "%s/refuse", refuse_vars[i].name);
		cases[n] = (struct test_case){names[n], case_refuse, 30, &refuse_vars[i]};
	}
	return test_main(argc, argv, cases, n);
}
