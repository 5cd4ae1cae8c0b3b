/*
 * zerocopy.h - what vmsplice.c, cma.c and memfd.c share (internal to
 * transports/; the engine never includes it).
 *
 * zc_wait_again(): one turn of waiting for an fd that said EAGAIN, with
 * the same policy fdio.c applies to its own loops: with CHAN_WAIT_SPIN a
 * pause (a yield every ZC_SPINS_PER_YIELD turns, or every turn when the
 * peer shares this CPU); otherwise poll() for at most ch->timeout_ms.
 *
 * cma_policy_verdict(): the ptrace policy as cma.c's probe() reads it,
 * exported so a test can check the message for every value of
 * kernel.yama.ptrace_scope without faking the host.
 */
#ifndef IPCBENCH_ZEROCOPY_H
#define IPCBENCH_ZEROCOPY_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

#include "transports/chan_util.h"
#include "transports/fdio.h"

#define ZC_SPINS_PER_YIELD 1024

static inline int zc_wait_again(struct chan *ch, int fd, short events, unsigned int *spins)
{
	if (ch->wait != CHAN_WAIT_SPIN)
		return fdio_wait(ch, fd, events);
	if (++*spins % ZC_SPINS_PER_YIELD == 0)
		sched_yield();
	else
		chan_relax(ch);
	return 0;
}

/*
 * Maps the Yama ptrace scope (-1: no Yama on this kernel) and whether
 * this process holds CAP_SYS_PTRACE to a verdict: 0 when a sibling may
 * read its peer with process_vm_readv (why says under which rule), or
 * -EPERM with why naming the sysctl or prctl that would allow it.
 */
int cma_policy_verdict(long scope, bool cap_sys_ptrace, char *why, size_t whylen);

#endif
