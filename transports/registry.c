/*
 * registry.c - the one explicit table of transports (no constructor
 * tricks).  Adding a mechanism: one file ending in its ops table, and one
 * line here.  transport_check_ops() is run at start-up and by a unit test.
 */
#include "transports/transport.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern const struct transport_ops pipe_ops, fifo_ops, socketpair_ops, socketpair_seqpacket_ops, unix_ops,
	unix_dgram_ops, tcp_ops, udp_ops;
extern const struct transport_ops sysv_mq_ops, posix_mq_ops, lockfile_ops, signal_ops, eventfd_ops;
extern const struct transport_ops shm_ring_ops, shm_spin_ops, sysv_shm_ops;
extern const struct transport_ops cma_ops, memfd_ops, vmsplice_ops;
extern const struct transport_ops futex_ring_ops, uring_ops, uring_sock_ops, vsock_ops, tipc_ops;
/* the wake-up primitives (wake.h): no payload, --sizes 0 */
extern const struct transport_ops sem_posix_ops, sem_sysv_ops, futex_ops, condvar_ops, sigqueue_ops;
extern const struct transport_ops dbus_ops, dbus_p2p_ops, oncrpc_ops;
extern const struct transport_ops http_ops, http2_ops, websocket_ops;
extern const struct transport_ops popen_ops;
extern const struct transport_ops file_ops;
extern const struct transport_ops zmq_ops, nng_ops;
extern const struct transport_ops grpc_ops;

const struct transport_ops *const transport_table[] = {
	&pipe_ops,	 &fifo_ops,	  &socketpair_ops, &socketpair_seqpacket_ops,
	&unix_ops,	 &unix_dgram_ops, &tcp_ops,	   &udp_ops,
	&sysv_mq_ops,	 &posix_mq_ops,	  &lockfile_ops,   &signal_ops,
	&eventfd_ops,	 &shm_ring_ops,	  &shm_spin_ops,   &sysv_shm_ops,
	&futex_ring_ops, &uring_ops,	  &uring_sock_ops, &vsock_ops,
	&tipc_ops,	 &cma_ops,	  &memfd_ops,	   &vmsplice_ops,
	&sem_posix_ops,	 &sem_sysv_ops,	  &futex_ops,	   &condvar_ops,
	&sigqueue_ops,	 &dbus_ops,	  &dbus_p2p_ops,   &oncrpc_ops,
	&http_ops,	 &http2_ops,	  &websocket_ops,  &popen_ops,
	&file_ops,	 &zmq_ops,	  &nng_ops,	   &grpc_ops,
};
const size_t transport_count = sizeof(transport_table) / sizeof(transport_table[0]);

const struct transport_ops *transport_find(const char *name)
{
	for (size_t i = 0; i < transport_count; i++)
		if (!strcmp(transport_table[i]->name, name))
			return transport_table[i];
	return NULL;
}

bool transport_reaches_hosts(const struct transport_ops *ops, const struct chan_opts *o)
{
	const struct transport_ops *raw;

	if (!(ops->flags & TRANSPORT_NETWORK))
		return false;
	if (!ops->raw_of)
		return true;
	raw = transport_find(ops->raw_of(o));
	return raw && raw != ops && (raw->flags & TRANSPORT_NETWORK);
}

/* The flags a table may carry. */
#define TRANSPORT_KNOWN_FLAGS                                                                            \
	(TRANSPORT_SLOW | TRANSPORT_SPIN | TRANSPORT_CAN_SPIN | TRANSPORT_LOSSY | TRANSPORT_NO_PAYLOAD | \
	 TRANSPORT_CAN_EVENT | TRANSPORT_BY_NAME | TRANSPORT_NETWORK | TRANSPORT_ONE_WAY |               \
	 TRANSPORT_CLIENT_STARTS_SERVER | TRANSPORT_FAN_IN | TRANSPORT_SECOND_SENDER | TRANSPORT_PINGPONG_ONLY)
/* Longest name: it goes into file names, cell keys and table columns. */
#define TRANSPORT_NAME_MAX 32

static const char *missing_field(const struct transport_ops *ops)
{
	if (!ops->name || !ops->name[0])
		return "name";
	if (!ops->summary || !ops->summary[0])
		return "summary";
	if (!ops->create)
		return "create";
	if (!ops->attach)
		return "attach";
	if (!ops->send)
		return "send";
	if (!ops->recv)
		return "recv";
	if (!ops->destroy)
		return "destroy";
	return NULL;
}

static bool name_ok(const char *name)
{
	if (strlen(name) > TRANSPORT_NAME_MAX || !islower((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/* What is wrong with the table's kind and flags, or NULL. */
static const char *bad_kind_or_flags(const struct transport_ops *ops)
{
	if (ops->kind != CHAN_STREAM && ops->kind != CHAN_MESSAGE)
		return "kind is neither CHAN_STREAM nor CHAN_MESSAGE";
	if (ops->flags & ~(unsigned)TRANSPORT_KNOWN_FLAGS)
		return "unknown flag bits";
	if ((ops->flags & TRANSPORT_SPIN) && (ops->flags & TRANSPORT_CAN_SPIN))
		return "SPIN and CAN_SPIN both set";
	if ((ops->flags & TRANSPORT_LOSSY) && ops->kind == CHAN_STREAM)
		return "LOSSY on a byte stream (a stream cannot lose a message and keep going)";
	if (!(ops->flags & TRANSPORT_FAN_IN) != !(ops->recv_any && ops->send_to))
		return "FAN_IN needs recv_any and send_to, and they need FAN_IN";
	return NULL;
}

/* What is wrong with the table's counter names (too many, malformed), or NULL. */
static const char *bad_counters(const struct transport_ops *ops)
{
	size_t n = 0;

	for (; ops->counters && ops->counters[n]; n++) {
		if (n >= TRANSPORT_MAX_COUNTERS)
			return "more counters than TRANSPORT_MAX_COUNTERS";
		if (!name_ok(ops->counters[n]))
			return "a counter name is not [a-z0-9_] starting with a letter";
	}
	return NULL;
}

int transport_check_ops(const struct transport_ops *ops, char *why, size_t whylen)
{
	const char *missing = missing_field(ops), *bad;
	size_t seen = 0;

	if (missing) {
		snprintf(why, whylen, "transport %s: no %s", ops->name ? ops->name : "(unnamed)", missing);
		return -1;
	}
	if (!name_ok(ops->name)) {
		snprintf(why, whylen, "transport %s: name must be [a-z0-9_], start with a letter, at most %d long",
			 ops->name, TRANSPORT_NAME_MAX);
		return -1;
	}
	bad = bad_kind_or_flags(ops);
	if (bad) {
		snprintf(why, whylen, "transport %s: %s", ops->name, bad);
		return -1;
	}
	if (transport_check_options(ops, why, whylen))
		return -1;
	bad = bad_counters(ops);
	if (bad) {
		snprintf(why, whylen, "transport %s: %s", ops->name, bad);
		return -1;
	}
	for (size_t i = 0; i < transport_count; i++) {
		seen += transport_table[i] == ops;
		if ((transport_table[i] != ops && !strcmp(transport_table[i]->name, ops->name)) || seen > 1) {
			snprintf(why, whylen, "transport %s: registered twice", ops->name);
			return -1;
		}
	}
	return 0;
}
