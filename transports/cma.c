/*
 * cma.c - cross-memory attach: the receiver copies each message straight
 * out of the sender's memory with process_vm_readv(2); two pipes carry
 * only doorbells.
 *
 * What it carries: records (CHAN_MESSAGE).  send() writes a 24-byte bell
 * (pid, address and length of the harness's buffer) into its pipe and
 * waits for the peer's answer on the other pipe; recv() reads the bell,
 * copies len bytes from the sender's address space into its own buffer
 * and answers ACK (or NAK when the sizes differ: recv() is then -EPROTO
 * and the sender is released all the same).  Both directions share one
 * pipe each way: answers and bells arrive in the order the protocol sends
 * them, because every send() waits for its answer before returning.
 *
 * What it saves: one copy.  Pipes and sockets copy into the kernel and out
 * again, shared-memory rings copy in and out of the ring; here the kernel
 * copies once, from the sender's pages to the receiver's.  What it costs:
 * a bell and an answer per message (two pipe round trips' worth of
 * syscalls, so small messages lose), the page walk and pinning of the
 * remote range, and the ptrace policy: process_vm_readv needs
 * PTRACE_MODE_ATTACH on the sender.  The two children are siblings, so
 * under Yama's ptrace_scope=1 neither may read the other until it
 * declares a tracer: attach() does prctl(PR_SET_PTRACER, parent), which
 * admits the parent and its descendants (the peer).  Scope 2 needs
 * CAP_SYS_PTRACE, scope 3 forbids it until reboot: probe() says so
 * (cma_policy_verdict).  Without Yama the classic rule holds: same uid,
 * dumpable.
 *
 * Ordering trap: send() is a rendezvous; it returns only once the peer
 * has copied the message (the harness reuses the buffer at once), so two
 * sides sending at the same time wait on each other until the watchdog.
 * No pattern of the harness does that.  Limits: none of its own
 * (max_msg_bytes 0); a short copy is resumed.  No named objects: fds only,
 * so `ipcbench clean` has nothing to do for it.
 */
#include "transports/zerocopy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define CMA_YAMA "/proc/sys/kernel/yama/ptrace_scope"
#define CMA_CAP_SYS_PTRACE 19 /* linux/capability.h */

enum { C2S_R = FDCHAN_C2S_R, C2S_W = FDCHAN_C2S_W, S2C_R = FDCHAN_S2C_R, S2C_W = FDCHAN_S2C_W };

enum cma_kind { CMA_MSG = 1, CMA_ACK = 2, CMA_NAK = 3 };

struct cma_bell {
	uint64_t addr;
	uint64_t len;
	int32_t pid;
	uint32_t kind;
};

struct cma_priv {
	struct fd_chan fc; /* first: the fdchan_* hooks use it */
	pid_t self;
};

int cma_policy_verdict(long scope, bool cap_sys_ptrace, char *why, size_t whylen)
{
	switch (scope) {
	case -1:
		snprintf(why, whylen, "no Yama: classic ptrace rules (same uid, dumpable)");
		return 0;
	case 0:
		snprintf(why, whylen, "kernel.yama.ptrace_scope=0: any process of the same uid");
		return 0;
	case 1:
		snprintf(why, whylen, "kernel.yama.ptrace_scope=1: attach sets prctl(PR_SET_PTRACER) to the parent");
		return 0;
	case 2:
		if (cap_sys_ptrace) {
			snprintf(why, whylen, "kernel.yama.ptrace_scope=2: allowed by CAP_SYS_PTRACE");
			return 0;
		}
		snprintf(why, whylen,
			 "kernel.yama.ptrace_scope=2 admits only CAP_SYS_PTRACE (prctl PR_SET_PTRACER does not help): "
			 "run as root or sysctl kernel.yama.ptrace_scope=1");
		return -EPERM;
	case 3:
		snprintf(why, whylen,
			 "kernel.yama.ptrace_scope=3 forbids every attach and cannot be lowered until reboot: "
			 "boot with kernel.yama.ptrace_scope=1");
		return -EPERM;
	default:
		snprintf(why, whylen, "kernel.yama.ptrace_scope=%ld is a value this program does not know", scope);
		return -EPERM;
	}
}

/* CAP_SYS_PTRACE in this process's effective set (/proc/self/status, no libcap). */
static bool cma_have_cap_ptrace(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	bool have = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long eff;

		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			have = (eff >> CMA_CAP_SYS_PTRACE) & 1;
			break;
		}
	}
	fclose(f);
	return have;
}

/* The Yama scope, or -1 when this kernel has no Yama. */
static long cma_yama_scope(void)
{
	long long v;

	return chan_read_sysctl(CMA_YAMA, &v) ? -1 : (long)v;
}

static int cma_probe(struct chan *ch)
{
	char why[sizeof(ch->limits.note)];
	uint64_t src = 0x1234, dst = 0;
	struct iovec l = {&dst, sizeof(dst)}, r = {&src, sizeof(src)};
	long scope = cma_yama_scope();

	/* reading our own memory: only the kernel's support is in question */
	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)sizeof(dst) || dst != src) {
		if (errno == ENOSYS)
			return chan_unavailable(ch, ENOSYS,
						"process_vm_readv: kernel built without CONFIG_CROSS_MEMORY_ATTACH");
		return chan_fail(ch, errno, "process_vm_readv of this process");
	}
	if (cma_policy_verdict(scope, cma_have_cap_ptrace(), why, sizeof(why)))
		return chan_unavailable(ch, EPERM, "%s", why);
	snprintf(ch->limits.note, sizeof(ch->limits.note), "one copy by process_vm_readv; %s", why);
	return 0;
}

static int cma_create(struct chan *ch)
{
	return fdchan_add_pipes(ch);
}

static int cma_attach(struct chan *ch, enum chan_role role)
{
	struct cma_priv *cp = ch->priv;
	struct fd_chan *fc = &cp->fc;

	cp->self = getpid();
	/* Yama scope 1: let the parent's descendants (the peer) read us */
	if (cma_yama_scope() == 1 && prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0, 0, 0) < 0)
		return chan_fail(ch, errno, "prctl PR_SET_PTRACER %d", (int)getppid());
	if (role == CHAN_CLIENT)
		return fdchan_use(ch, fc->fd[S2C_R], fc->fd[C2S_W]);
	return fdchan_use(ch, fc->fd[C2S_R], fc->fd[S2C_W]);
}

static int cma_ring(struct chan *ch, uint32_t kind, const void *addr, size_t len)
{
	struct cma_priv *cp = ch->priv;
	struct cma_bell b = {.addr = (uint64_t)(uintptr_t)addr, .len = len, .pid = cp->self, .kind = kind};

	return fdio_write_all(ch, cp->fc.io.wfd, &b, sizeof(b));
}

static int cma_send(struct chan *ch, const void *buf, size_t len)
{
	struct cma_priv *cp = ch->priv;
	struct cma_bell b;
	int r = cma_ring(ch, CMA_MSG, buf, len);

	if (!r)
		r = fdio_read_all(ch, cp->fc.io.rfd, &b, sizeof(b));
	if (r)
		return r;
	/* a NAK: the receiver refused the size and reports it; the record is gone either way */
	if (b.kind != CMA_ACK && b.kind != CMA_NAK)
		return chan_fail(ch, EPROTO, "waiting for the answer to %zu bytes: bell of kind %" PRIu32, len, b.kind);
	return 0;
}

/* Copies len bytes at addr in pid into buf, resuming short copies. */
static int cma_copy(struct chan *ch, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec l = {(uint8_t *)buf + done, len - done};
		struct iovec r = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPERM)
			return chan_fail(ch, EPERM, "process_vm_readv pid=%d: the ptrace policy refuses (%s)", (int)pid,
					 "see kernel.yama.ptrace_scope, PR_SET_PTRACER, dumpable");
		return chan_fail(ch, n < 0 ? errno : EIO, "process_vm_readv pid=%d %zu bytes at %zu", (int)pid,
				 len - done, done);
	}
	return 0;
}

static int cma_recv(struct chan *ch, void *buf, size_t len)
{
	struct cma_priv *cp = ch->priv;
	struct cma_bell b;
	int r = fdio_read_all(ch, cp->fc.io.rfd, &b, sizeof(b));

	if (r)
		return r;
	if (b.kind != CMA_MSG)
		return chan_fail(ch, EPROTO, "waiting for a message: bell of kind %" PRIu32, b.kind);
	if (b.len != len) {
		cma_ring(ch, CMA_NAK, NULL, 0);
		return chan_fail(ch, EPROTO, "record of %" PRIu64 " bytes, expected %zu", b.len, len);
	}
	r = cma_copy(ch, (pid_t)b.pid, b.addr, buf, len);
	if (r) {
		cma_ring(ch, CMA_NAK, NULL, 0); /* release the sender; our error stands */
		return r;
	}
	return cma_ring(ch, CMA_ACK, NULL, 0);
}

const struct transport_ops cma_ops = {
	.name = "cma",
	.summary = "cross-memory attach: a pipe bell, then process_vm_readv from the sender (one copy)",
	.kind = CHAN_MESSAGE,
	.flags = TRANSPORT_CAN_SPIN,
	.priv_size = sizeof(struct cma_priv),
	.probe = cma_probe,
	.create = cma_create,
	.attach = cma_attach,
	.send = cma_send,
	.recv = cma_recv,
	.detach = fdchan_detach,
	.destroy = fdchan_destroy,
};
