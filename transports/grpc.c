/*
 * grpc.c - gRPC (HTTP/2) through its C core: one unary method,
 * /ipcbench.Bench/Ping, whose request and response are raw byte buffers
 * (no protobuf and no generated stubs: a raw byte buffer is what a stub
 * would hand the core after serialising).  Insecure credentials, loopback
 * only: a Unix socket in the run directory (the `unix:` target), or
 * 127.0.0.1 on a port the server's listener picks with :net=tcp.
 *
 * Between whom, by name (--peers exec, serve): create() chooses the
 * rendezvous and priv carries it, nothing else: the socket path, or with
 * :net=tcp the address and a port.  The port is reserved in create(): a
 * socket bound to it with SO_REUSEADDR and SO_REUSEPORT, never listening,
 * held by the creator until destroy() (so no other socket takes the port
 * meanwhile), onto which the server's grpc_server_add_http2_port binds
 * its listener (gRPC sets both options on its listeners) in attach().
 * The client may come before the server listens (an exec'd client starts
 * once create() answered; a forked one at once): its attach() retries the
 * connection, 10 to 50 ms apart, until the channel is READY or timeout_ms
 * passed, so the connection and the HTTP/2 preface are not in the first
 * call.  Under serve (TRANSPORT_NETWORK) create() binds the address the
 * client reached (ch->net_addr); net=unix refuses there, naming :net=tcp.
 * gRPC starts threads, so grpc_init() runs in attach(), in each child
 * after the fork, never in the parent; detach() destroys everything and
 * calls grpc_shutdown(), which it waits for at most 500 ms (it can take
 * 10 s: see grpct_shutdown) before the child exits.  What gRPC logs is kept (not printed) and the
 * last line is quoted in an error.
 *
 * What it carries: the client's send() is the whole call, one batch of
 * SEND_INITIAL_METADATA, SEND_MESSAGE, SEND_CLOSE_FROM_CLIENT,
 * RECV_INITIAL_METADATA, RECV_MESSAGE and RECV_STATUS_ON_CLIENT with a
 * deadline of timeout_ms (a dead or silent server is DEADLINE_EXCEEDED:
 * -ETIMEDOUT; a closed connection UNAVAILABLE: -EPIPE); every call's
 * status must be OK.  Its recv() copies out the response that call
 * brought back.  The server always has one grpc_server_request_call
 * outstanding; its recv() takes the next call (within timeout_ms) and
 * its message, and its send() answers with initial metadata, the
 * message, status OK and RECV_CLOSE_ON_SERVER in one batch (reaped by
 * the next recv).  The stream pattern uses the scheme oncrpc.c uses: a
 * call the server did not answer is answered with an empty message when
 * the server goes for the next one, so a one-way stream is a sequence of
 * acknowledged calls, paced by their replies.
 *
 * Limits: gRPC's receive cap is 4 MiB by default
 * (GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH); both sides raise it, and the
 * send cap, to the cell's size where that is larger.  The cap is an int,
 * so INT_MAX bytes is the most a cell may ask.  Compression is off;
 * transparent retries and the HTTP/2 flow-control windows are gRPC's
 * defaults.  Raw transport underneath: unix, or tcp with :net=tcp.
 *
 * Threads: besides the main thread, gRPC 1.51 (core 29) starts in each
 * child two grpc_global_timer threads, a timer_manager, a
 * default-executor, a resolver-executor and two or three event_engine
 * workers: 8 to 11 threads per side on this 2-CPU host, which the cell's
 * cost section counts.  The parent never runs any.
 */
#include "transports/chan_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBGRPC
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <pthread.h>
#endif

#define GRPC_METHOD "/ipcbench.Bench/Ping"
#define GRPC_DEFAULT_RECV_CAP (4 << 20) /* GRPC_DEFAULT_MAX_RECV_MESSAGE_LENGTH */
#define GRPC_SHUTDOWN_WAIT_MS 500L	/* the most detach() waits for grpc_shutdown() */
#define GRPC_RETRY_MIN_MS 10		/* the client's reconnect backoff while the server comes up */
#define GRPC_RETRY_MAX_MS 50

enum { GRPC_OPT_NET };
enum { GRPC_NET_UNIX, GRPC_NET_TCP };
static const char *const grpct_nets[] = {"unix", "tcp", NULL};

static const struct transport_option grpct_options[] = {
	[GRPC_OPT_NET] = {.name = "net",
			  .type = TOPT_ENUM,
			  .def = GRPC_NET_UNIX,
			  .values = grpct_nets,
			  .help = "unix (unix: a socket path in the run directory) or tcp (127.0.0.1)"},
	{0},
};

/* Completion-queue tags: which operation finished. */
enum { TAG_NONE, TAG_CONN, TAG_CALL, TAG_NEW, TAG_RECV, TAG_REPLY, TAG_SHUT, TAG_COUNT };

struct grpct_priv {
	bool made;   /* create() ran: resv_fd is an fd or -1 */
	int resv_fd; /* tcp: the creator's socket reserving the port (bound, not listening); -1 */
	bool tcp;
	uint32_t addr; /* tcp: the server's IPv4 address, network order */
	uint16_t port; /* tcp: its port */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* after attach(), in each child */
	bool inited;		     /* grpc_init() ran */
	void *cq;		     /* grpc_completion_queue * */
	void *chnl;		     /* client: grpc_channel * */
	void *srv;		     /* server: grpc_server * */
	void *call;		     /* server: the call being served */
	void *next;		     /* server: the call grpc_server_request_call fills */
	void *bb;		     /* the last message received (grpc_byte_buffer *) */
	void *out;		     /* server: the answer in flight (grpc_byte_buffer *) */
	int cancelled;		     /* server: RECV_CLOSE_ON_SERVER's out argument */
	bool held;		     /* server: a call waits for its answer */
	unsigned int busy, done, ok; /* bit per tag: started, completed, succeeded */
#ifdef HAVE_LIBGRPC
	grpc_call_details details;
	grpc_metadata_array req_md;
#endif
};

static const char *grpct_raw_of(const struct chan_opts *o)
{
	return (o->given & (1u << GRPC_OPT_NET)) && o->val[GRPC_OPT_NET] == GRPC_NET_TCP ? "tcp" : "unix";
}

static int grpct_probe(struct chan *ch)
{
#ifndef HAVE_LIBGRPC
	return chan_unavailable(ch, ENOSYS, "built without gRPC: install libgrpc-dev and rebuild");
#else
	ch->limits.max_msg_bytes = INT_MAX;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "gRPC core %s over %s: receive cap 4 MiB by default, raised to the cell's size (an int: INT_MAX)",
		 grpc_version_string(), chan_opt(ch, GRPC_OPT_NET) == GRPC_NET_TCP ? "TCP 127.0.0.1" : "a Unix socket");
	return 0;
#endif
}

static void grpct_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* tcp: a port on addr (network order) kept by a bound socket that gRPC's listener can share. */
static int grpct_reserve_port(struct chan *ch, struct grpct_priv *p, uint32_t addr)
{
	struct sockaddr_in si = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
	socklen_t sl = sizeof(si);
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	p->resv_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->resv_fd < 0)
		return chan_fail(ch, errno, "socket AF_INET");
	if (setsockopt(p->resv_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(p->resv_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		return chan_fail(ch, errno, "setsockopt SO_REUSEADDR, SO_REUSEPORT");
	if (bind(p->resv_fd, (struct sockaddr *)&si, sizeof(si)) < 0 ||
	    getsockname(p->resv_fd, (struct sockaddr *)&si, &sl) < 0)
		return chan_fail(ch, errno, "bind %s:0", ip);
	p->addr = si.sin_addr.s_addr;
	p->port = ntohs(si.sin_port);
	return 0;
}

static int grpct_create(struct chan *ch)
{
	struct grpct_priv *p = ch->priv;

	p->resv_fd = -1;
	p->made = true;
	p->tcp = chan_opt(ch, GRPC_OPT_NET) == GRPC_NET_TCP;
	if (ch->net_addr && !p->tcp)
		return chan_fail(ch, EINVAL, "grpc:net=unix joins processes of one host: use :net=tcp");
	if (p->tcp)
		return grpct_reserve_port(ch, p, ch->net_addr ? ch->net_addr : htonl(INADDR_LOOPBACK));
	if (chan_path(ch, "grpc.sock", p->path, sizeof(p->path)))
		return chan_fail(ch, ENAMETOOLONG, "socket path in %s", ch->run_dir);
	return 0;
}

/* A process that did not run create() (an exec'd client, the parent after exec'd peers): names only. */
static void grpct_adopt(struct chan *ch)
{
	struct grpct_priv *p = ch->priv;

	p->resv_fd = -1;
	p->inited = false;
	p->cq = p->chnl = p->srv = p->call = p->next = p->bb = p->out = NULL;
	p->held = false;
	p->busy = p->done = p->ok = 0;
}

#ifdef HAVE_LIBGRPC
/* Where the server listens: "unix:PATH", or "A.B.C.D:PORT" (the client's target: "ipv4:A.B.C.D:PORT"). */
static void grpct_target(const struct grpct_priv *p, bool client, char *out, size_t outlen)
{
	char ip[INET_ADDRSTRLEN];

	if (!p->tcp) {
		snprintf(out, outlen, "unix:%s", p->path);
		return;
	}
	inet_ntop(AF_INET, &p->addr, ip, sizeof(ip));
	snprintf(out, outlen, "%s%s:%u", client ? "ipv4:" : "", ip, p->port);
}

/* gRPC's log, per process: kept to quote in an error, never printed. */
static pthread_mutex_t grpct_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char grpct_log_last[160];

static void grpct_log_keep(gpr_log_func_args *a)
{
	if (a->severity < GPR_LOG_SEVERITY_ERROR)
		return;
	pthread_mutex_lock(&grpct_log_lock);
	snprintf(grpct_log_last, sizeof(grpct_log_last), "%s", a->message);
	pthread_mutex_unlock(&grpct_log_lock);
}

static const char *grpct_log_quote(char *out, size_t outlen)
{
	pthread_mutex_lock(&grpct_log_lock);
	snprintf(out, outlen, "%s", grpct_log_last[0] ? grpct_log_last : "gRPC logged no error");
	pthread_mutex_unlock(&grpct_log_lock);
	return out;
}

static gpr_timespec grpct_deadline(const struct chan *ch, int extra_ms)
{
	if (ch->timeout_ms <= 0)
		return gpr_inf_future(GPR_CLOCK_MONOTONIC);
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis((int64_t)ch->timeout_ms + extra_ms, GPR_TIMESPAN));
}

/*
 * The channel and server arguments (a[], at most GRPC_ARGS): both message
 * caps at least the cell's size; the client's reconnect backoff short, so
 * a client that came before its server listens connects soon after.
 */
#define GRPC_ARGS 5
static grpc_channel_args grpct_cell_args(const struct chan *ch, grpc_arg a[GRPC_ARGS], bool client)
{
	int cap = ch->msg_bytes > GRPC_DEFAULT_RECV_CAP ? (int)ch->msg_bytes : GRPC_DEFAULT_RECV_CAP;

	a[0] = (grpc_arg){.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = cap};
	a[1] = (grpc_arg){.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = cap};
	a[2] = (grpc_arg){.type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
			  .value.integer = GRPC_RETRY_MIN_MS};
	a[3] = (grpc_arg){
		.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, .value.integer = GRPC_RETRY_MIN_MS};
	a[4] = (grpc_arg){
		.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, .value.integer = GRPC_RETRY_MAX_MS};
	return (grpc_channel_args){.num_args = client ? 5 : 2, .args = a};
}

/*
 * Waits until the operation tagged tag completes (others that complete
 * meanwhile are noted): 0, 1 when it completed unsuccessfully, or
 * -ETIMEDOUT/-EPIPE recorded with what.
 */
static int grpct_wait(struct chan *ch, struct grpct_priv *p, int tag, gpr_timespec deadline, const char *what)
{
	while (!(p->done & (1u << tag))) {
		grpc_event ev = grpc_completion_queue_next(p->cq, deadline, NULL);
		unsigned int bit;

		if (ev.type == GRPC_QUEUE_TIMEOUT)
			return chan_fail(ch, ETIMEDOUT, "%s: nothing within %d ms", what, ch->timeout_ms);
		if (ev.type != GRPC_OP_COMPLETE)
			return chan_fail(ch, EPIPE, "%s: the completion queue shut down", what);
		bit = 1u << (unsigned int)(uintptr_t)ev.tag;
		p->done |= bit;
		p->ok = ev.success ? p->ok | bit : p->ok & ~bit;
	}
	p->done &= ~(1u << tag);
	p->busy &= ~(1u << tag);
	return p->ok & (1u << tag) ? 0 : 1;
}

/* Asks for the next call, so one is always outstanding. */
static int grpct_request_next(struct chan *ch, struct grpct_priv *p)
{
	grpc_call_error e;

	grpc_call_details_init(&p->details);
	grpc_metadata_array_init(&p->req_md);
	e = grpc_server_request_call(p->srv, (grpc_call **)&p->next, &p->details, &p->req_md, p->cq, p->cq,
				     (void *)(uintptr_t)TAG_NEW);
	if (e != GRPC_CALL_OK)
		return chan_fail(ch, EPROTO, "grpc_server_request_call: error %d", (int)e);
	p->busy |= 1u << TAG_NEW;
	return 0;
}

static int grpct_attach_server(struct chan *ch, struct grpct_priv *p)
{
	grpc_arg a[GRPC_ARGS];
	grpc_channel_args args = grpct_cell_args(ch, a, false);
	grpc_server_credentials *cred = grpc_insecure_server_credentials_create();
	char addr[sizeof(p->path) + 8], log[160];
	int port;

	p->cq = grpc_completion_queue_create_for_next(NULL);
	p->srv = grpc_server_create(&args, NULL);
	grpc_server_register_completion_queue(p->srv, p->cq, NULL);
	grpct_target(p, false, addr, sizeof(addr));
	port = grpc_server_add_http2_port(p->srv, addr, cred);
	grpc_server_credentials_release(cred);
	if (!port || (p->tcp && port != p->port))
		return chan_fail(ch, EADDRNOTAVAIL, "grpc_server_add_http2_port %s: %s", addr,
				 port ? "bound another port" : grpct_log_quote(log, sizeof(log)));
	grpct_close_fd(&p->resv_fd); /* a forked server's copy; the creator keeps its own */
	grpc_server_start(p->srv);
	return grpct_request_next(ch, p);
}

/* Until the channel is READY: connection refused while the server comes up is retried, to the deadline. */
static int grpct_connect(struct chan *ch, struct grpct_priv *p, const char *target)
{
	gpr_timespec deadline = grpct_deadline(ch, 0);
	grpc_connectivity_state st;
	char log[160];

	while ((st = grpc_channel_check_connectivity_state(p->chnl, 1)) != GRPC_CHANNEL_READY) {
		if (st == GRPC_CHANNEL_SHUTDOWN)
			return chan_fail(ch, ECONNREFUSED, "connect %s: %s", target, grpct_log_quote(log, sizeof(log)));
		grpc_channel_watch_connectivity_state(p->chnl, st, deadline, p->cq, (void *)(uintptr_t)TAG_CONN);
		p->busy |= 1u << TAG_CONN;
		if (grpct_wait(ch, p, TAG_CONN, gpr_inf_future(GPR_CLOCK_MONOTONIC), "connect"))
			return chan_fail(ch, st == GRPC_CHANNEL_TRANSIENT_FAILURE ? ECONNREFUSED : ETIMEDOUT,
					 "connect %s: not ready within %d ms: %s", target, ch->timeout_ms,
					 grpct_log_quote(log, sizeof(log)));
	}
	return 0;
}

static int grpct_attach_client(struct chan *ch, struct grpct_priv *p)
{
	grpc_arg a[GRPC_ARGS];
	grpc_channel_args args = grpct_cell_args(ch, a, true);
	grpc_channel_credentials *cred;
	char target[sizeof(p->path) + 8];

	grpct_close_fd(&p->resv_fd);
	grpct_target(p, true, target, sizeof(target));
	p->cq = grpc_completion_queue_create_for_next(NULL);
	cred = grpc_insecure_credentials_create();
	p->chnl = grpc_channel_create(target, cred, &args);
	grpc_channel_credentials_release(cred);
	return grpct_connect(ch, p, target);
}

static int grpct_attach(struct chan *ch, enum chan_role role)
{
	struct grpct_priv *p = ch->priv;

	gpr_set_log_function(grpct_log_keep);
	grpc_init();
	p->inited = true;
	return role == CHAN_SERVER ? grpct_attach_server(ch, p) : grpct_attach_client(ch, p);
}

/* A byte buffer holding a copy of len bytes of buf. */
static grpc_byte_buffer *grpct_buffer_of(const void *buf, size_t len)
{
	grpc_slice s = grpc_slice_from_copied_buffer(buf, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);

	grpc_slice_unref(s);
	return bb;
}

/* Copies the received message (exactly len bytes) into buf and frees it. */
static int grpct_take_message(struct chan *ch, struct grpct_priv *p, void *buf, size_t len, const char *what)
{
	grpc_byte_buffer *bb = p->bb;
	grpc_byte_buffer_reader rd;
	grpc_slice s;
	size_t n = bb ? grpc_byte_buffer_length(bb) : 0, off = 0;

	p->bb = NULL;
	if (!bb)
		return chan_fail(ch, EPIPE, "%s: no message (the call ended)", what);
	if (n != len || !grpc_byte_buffer_reader_init(&rd, bb)) {
		grpc_byte_buffer_destroy(bb);
		return chan_fail(ch, EPROTO, "%s of %zu bytes, expected %zu", what, n, len);
	}
	while (grpc_byte_buffer_reader_next(&rd, &s)) {
		memcpy((char *)buf + off, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
		off += GRPC_SLICE_LENGTH(s);
		grpc_slice_unref(s);
	}
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(bb);
	return 0;
}

static int grpct_status_error(struct chan *ch, grpc_status_code st, grpc_slice details)
{
	int e = st == GRPC_STATUS_DEADLINE_EXCEEDED    ? ETIMEDOUT
		: st == GRPC_STATUS_UNAVAILABLE	       ? EPIPE
		: st == GRPC_STATUS_RESOURCE_EXHAUSTED ? EMSGSIZE
						       : EPROTO;

	return chan_fail(ch, e, "call status %d: %.*s", (int)st, (int)GRPC_SLICE_LENGTH(details),
			 (const char *)GRPC_SLICE_START_PTR(details));
}

/* The client's send(): one whole unary call; the response waits in p->bb. */
static int grpct_call(struct chan *ch, struct grpct_priv *p, const void *buf, size_t len)
{
	grpc_byte_buffer *req = grpct_buffer_of(buf, len);
	grpc_metadata_array md0, md1;
	grpc_status_code st = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6] = {
		{.op = GRPC_OP_SEND_INITIAL_METADATA},
		{.op = GRPC_OP_SEND_MESSAGE, .data.send_message.send_message = req},
		{.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT},
		{.op = GRPC_OP_RECV_INITIAL_METADATA, .data.recv_initial_metadata.recv_initial_metadata = &md0},
		{.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = (grpc_byte_buffer **)&p->bb},
		{.op = GRPC_OP_RECV_STATUS_ON_CLIENT,
		 .data.recv_status_on_client = {.trailing_metadata = &md1, .status = &st, .status_details = &details}},
	};
	grpc_call *c;
	int r;

	if (p->bb)
		grpc_byte_buffer_destroy(p->bb); /* a response nobody collected */
	p->bb = NULL;
	grpc_metadata_array_init(&md0);
	grpc_metadata_array_init(&md1);
	c = grpc_channel_create_call(p->chnl, NULL, GRPC_PROPAGATE_DEFAULTS, p->cq,
				     grpc_slice_from_static_string(GRPC_METHOD), NULL, grpct_deadline(ch, 0), NULL);
	r = grpc_call_start_batch(c, ops, 6, (void *)(uintptr_t)TAG_CALL, NULL) == GRPC_CALL_OK ? 0 : -EPROTO;
	if (!r) {
		p->busy |= 1u << TAG_CALL;
		/* the call's own deadline ends it; the queue's is a backstop */
		r = grpct_wait(ch, p, TAG_CALL, grpct_deadline(ch, 1000), "call");
	}
	if (!r && st != GRPC_STATUS_OK)
		r = grpct_status_error(ch, st, details);
	else if (r)
		r = r < 0 ? r : chan_fail(ch, EPROTO, "call batch failed");
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&md0);
	grpc_metadata_array_destroy(&md1);
	grpc_byte_buffer_destroy(req);
	if (r && (p->busy & (1u << TAG_CALL))) {
		grpc_call_cancel(c, NULL);
		grpct_wait(ch, p, TAG_CALL, gpr_inf_future(GPR_CLOCK_MONOTONIC), "cancel");
	}
	grpc_call_unref(c);
	return r;
}

/* Reaps the previous answer's batch and the call it answered. */
static int grpct_finish_call(struct chan *ch, struct grpct_priv *p)
{
	int r = 0;

	if (p->busy & (1u << TAG_REPLY)) {
		r = grpct_wait(ch, p, TAG_REPLY, grpct_deadline(ch, 0), "answer");
		if (r > 0)
			r = chan_fail(ch, EPIPE, "the answer was not delivered (peer gone)");
	}
	if (p->out && !(p->busy & (1u << TAG_REPLY))) {
		grpc_byte_buffer_destroy(p->out);
		p->out = NULL;
	}
	if (p->call && !p->held && !(p->busy & (1u << TAG_REPLY))) {
		grpc_call_unref(p->call);
		p->call = NULL;
	}
	return r;
}

/* The server's send(): answers the held call with len bytes of buf, status OK. */
static int grpct_answer(struct chan *ch, struct grpct_priv *p, const void *buf, size_t len)
{
	grpc_byte_buffer *bb;
	grpc_op ops[4] = {
		{.op = GRPC_OP_SEND_INITIAL_METADATA},
		{.op = GRPC_OP_SEND_MESSAGE},
		{.op = GRPC_OP_SEND_STATUS_FROM_SERVER, .data.send_status_from_server.status = GRPC_STATUS_OK},
		{.op = GRPC_OP_RECV_CLOSE_ON_SERVER, .data.recv_close_on_server.cancelled = &p->cancelled},
	};
	grpc_call_error e;

	if (!p->held)
		return chan_fail(ch, EPROTO, "an answer with no call to answer");
	p->held = false;
	bb = grpct_buffer_of(buf, len);
	ops[1].data.send_message.send_message = bb;
	p->out = bb; /* destroyed when the batch is reaped */
	e = grpc_call_start_batch(p->call, ops, 4, (void *)(uintptr_t)TAG_REPLY, NULL);
	if (e != GRPC_CALL_OK)
		return chan_fail(ch, EPROTO, "grpc_call_start_batch (answer): error %d", (int)e);
	p->busy |= 1u << TAG_REPLY;
	return 0;
}

static int grpct_send(struct chan *ch, const void *buf, size_t len)
{
	struct grpct_priv *p = ch->priv;

	return ch->role == CHAN_CLIENT ? grpct_call(ch, p, buf, len) : grpct_answer(ch, p, buf, len);
}

/* The server's recv(): the next call and its message. */
static int grpct_serve_next(struct chan *ch, struct grpct_priv *p, void *buf, size_t len)
{
	grpc_op rm = {.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = (grpc_byte_buffer **)&p->bb};
	bool ours;
	int r;

	if (p->held && grpct_answer(ch, p, "", 0)) /* a one-way message: acknowledge it */
		return -ch->err;
	if (grpct_finish_call(ch, p))
		return -ch->err;
	r = grpct_wait(ch, p, TAG_NEW, grpct_deadline(ch, 0), "wait for a call");
	if (r)
		return r < 0 ? r : chan_fail(ch, EPIPE, "grpc_server_request_call failed (server shut down)");
	p->call = p->next;
	p->next = NULL;
	ours = !grpc_slice_str_cmp(p->details.method, GRPC_METHOD);
	grpc_call_details_destroy(&p->details);
	grpc_metadata_array_destroy(&p->req_md);
	if (grpct_request_next(ch, p))
		return -ch->err;
	if (!ours)
		return chan_fail(ch, EPROTO, "a call of another method than %s", GRPC_METHOD);
	if (grpc_call_start_batch(p->call, &rm, 1, (void *)(uintptr_t)TAG_RECV, NULL) != GRPC_CALL_OK)
		return chan_fail(ch, EPROTO, "grpc_call_start_batch (receive)");
	p->busy |= 1u << TAG_RECV;
	r = grpct_wait(ch, p, TAG_RECV, grpct_deadline(ch, 0), "receive the call's message");
	if (r)
		return r < 0 ? r : chan_fail(ch, EPIPE, "the call's message did not arrive (peer gone)");
	p->held = true;
	return grpct_take_message(ch, p, buf, len, "request");
}

static int grpct_recv(struct chan *ch, void *buf, size_t len)
{
	struct grpct_priv *p = ch->priv;

	if (ch->role == CHAN_CLIENT)
		return grpct_take_message(ch, p, buf, len, "response");
	return grpct_serve_next(ch, p, buf, len);
}

/* Waits for every started operation to complete (after a shutdown or cancel). */
static void grpct_drain(struct chan *ch, struct grpct_priv *p)
{
	for (int t = 1; t < TAG_COUNT; t++)
		if (p->busy & (1u << t))
			grpct_wait(ch, p, t, gpr_inf_future(GPR_CLOCK_MONOTONIC), "shutdown");
}

static void *grpct_shutdown_main(void *unused)
{
	grpc_shutdown_blocking();
	return NULL;
}

/*
 * grpc_shutdown(), waiting at most GRPC_SHUTDOWN_WAIT_MS: it joins the
 * executor threads, and tcp_posix's backup poller (started when a write
 * met a full socket buffer, as 1 MiB messages do) sits in a pollset_work
 * with a 10 s deadline that nothing wakes once the connection is gone.
 * Past the wait the child exits with the clean-up still under way.
 */
static void grpct_shutdown(void)
{
	struct timespec until;
	pthread_t t;

	if (pthread_create(&t, NULL, grpct_shutdown_main, NULL)) {
		grpc_shutdown_blocking();
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += GRPC_SHUTDOWN_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	if (pthread_timedjoin_np(t, NULL, &until))
		pthread_detach(t);
}

static void grpct_detach_server(struct chan *ch, struct grpct_priv *p)
{
	if (p->held)
		grpct_answer(ch, p, "", 0); /* the last one-way message's acknowledgement */
	grpct_finish_call(ch, p);
	grpc_server_shutdown_and_notify(p->srv, p->cq, (void *)(uintptr_t)TAG_SHUT);
	p->busy |= 1u << TAG_SHUT;
	grpc_server_cancel_all_calls(p->srv);
	grpct_drain(ch, p);
	grpc_server_destroy(p->srv);
	p->srv = NULL;
	if (p->out)
		grpc_byte_buffer_destroy(p->out);
	p->out = NULL;
	if (p->call)
		grpc_call_unref(p->call);
	if (p->next)
		grpc_call_unref(p->next);
	p->call = p->next = NULL;
	grpc_call_details_destroy(&p->details);
	grpc_metadata_array_destroy(&p->req_md);
}

static void grpct_detach(struct chan *ch)
{
	struct grpct_priv *p = ch->priv;

	if (!p->inited)
		return;
	if (p->srv)
		grpct_detach_server(ch, p);
	if (p->chnl) {
		grpc_channel_destroy(p->chnl);
		grpct_drain(ch, p);
	}
	p->chnl = NULL;
	if (p->bb)
		grpc_byte_buffer_destroy(p->bb);
	p->bb = NULL;
	if (p->cq) {
		grpc_completion_queue_shutdown(p->cq);
		while (grpc_completion_queue_next(p->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
		       GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(p->cq);
	}
	p->cq = NULL;
	grpct_shutdown();
	p->inited = false;
}
#else
static int grpct_attach(struct chan *ch, enum chan_role role)
{
	return chan_fail(ch, ENOSYS, "built without gRPC");
}

static int grpct_send(struct chan *ch, const void *buf, size_t len)
{
	return -ENOSYS;
}

static int grpct_recv(struct chan *ch, void *buf, size_t len)
{
	return -ENOSYS;
}

static void grpct_detach(struct chan *ch)
{
}
#endif

static void grpct_destroy(struct chan *ch)
{
	struct grpct_priv *p = ch->priv;

	if (!p->made)
		return;
	grpct_close_fd(&p->resv_fd);
	if (p->path[0])
		unlink(p->path);
	p->made = false;
}

const struct transport_ops grpc_ops = {
	.name = "grpc",
	.summary = "gRPC (C core): a unary call on raw bytes over a Unix socket (net=tcp: TCP loopback)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_BY_NAME | TRANSPORT_NETWORK,
	.priv_size = sizeof(struct grpct_priv),
	.options = grpct_options,
	.raw_of = grpct_raw_of,
	.probe = grpct_probe,
	.create = grpct_create,
	.adopt = grpct_adopt,
	.attach = grpct_attach,
	.send = grpct_send,
	.recv = grpct_recv,
	.detach = grpct_detach,
	.destroy = grpct_destroy,
};
