/*
 * registry.c - the one explicit table of transports (no constructor
 * tricks).  Adding a mechanism: one file ending in its ops table, and one
 * line here.  transport_check_ops() is run at start-up and by a unit test.
 */
#include "transports/transport.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

extern const struct transport_ops pipe_ops, fifo_ops, socketpair_ops, socketpair_seqpacket_ops, unix_ops,
	unix_dgram_ops, tcp_ops, udp_ops;
extern const struct transport_ops sysv_mq_ops, posix_mq_ops, lockfile_ops, signal_ops, eventfd_ops;
extern const struct transport_ops shm_ring_ops, shm_spin_ops, sysv_shm_ops;
extern const struct transport_ops futex_ring_ops, uring_ops, uring_sock_ops, vsock_ops, tipc_ops;

const struct transport_ops *const transport_table[] = {
	&pipe_ops,	 &fifo_ops,	  &socketpair_ops, &socketpair_seqpacket_ops,
	&unix_ops,	 &unix_dgram_ops, &tcp_ops,	   &udp_ops,
	&sysv_mq_ops,	 &posix_mq_ops,	  &lockfile_ops,   &signal_ops,
	&eventfd_ops,	 &shm_ring_ops,	  &shm_spin_ops,   &sysv_shm_ops,
	&futex_ring_ops, &uring_ops,	  &uring_sock_ops, &vsock_ops,
	&tipc_ops,
};
const size_t transport_count = sizeof(transport_table) / sizeof(transport_table[0]);

const struct transport_ops *transport_find(const char *name)
{
	for (size_t i = 0; i < transport_count; i++)
		if (!strcmp(transport_table[i]->name, name))
			return transport_table[i];
	return NULL;
}

int transport_check_ops(const struct transport_ops *ops, char *why, size_t whylen)
{
	const char *missing = NULL;

	if (!ops->name || !ops->name[0])
		missing = "name";
	else if (!ops->summary)
		missing = "summary";
	else if (!ops->create)
		missing = "create";
	else if (!ops->attach)
		missing = "attach";
	else if (!ops->send)
		missing = "send";
	else if (!ops->recv)
		missing = "recv";
	else if (!ops->destroy)
		missing = "destroy";
	if (missing) {
		snprintf(why, whylen, "transport %s: no %s", ops->name ? ops->name : "(unnamed)", missing);
		return -1;
	}
	for (const char *p = ops->name; *p; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_') {
			snprintf(why, whylen, "transport %s: name must be [a-z0-9_]", ops->name);
			return -1;
		}
	}
	for (size_t i = 0; i < transport_count; i++) {
		if (transport_table[i] != ops && !strcmp(transport_table[i]->name, ops->name)) {
			snprintf(why, whylen, "transport %s: registered twice", ops->name);
			return -1;
		}
	}
	if ((ops->flags & TRANSPORT_SPIN) && (ops->flags & TRANSPORT_CAN_SPIN)) {
		snprintf(why, whylen, "transport %s: SPIN and CAN_SPIN both set", ops->name);
		return -1;
	}
	return 0;
}
