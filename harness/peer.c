/*
 * peer.c - the program an exec'd peer runs (`ipcbench peer`, started by
 * peer_spawn.c): it inherits stdio and the control socket ctlfd, nothing
 * else.  It reads its cell's parameters there, maps the cell's control
 * page by its name in the run directory, and then lives the life of a
 * forked side (side_main): pinned, verifying payloads, recording into
 * the page, watched by the parent through it.
 *
 * The server runs create() and answers with the channel's rendezvous; the
 * client adopts that and attaches by name.  Neither destroys the channel:
 * the parent removes it by name once both are gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/peerwire.h"
#include "harness/side.h"

static void reply_error(int fd, const char *what, const char *detail)
{
	char msg[400], *text;
	size_t len;

	if (fd < 0)
		return;
	snprintf(msg, sizeof(msg), "%s%s", what, detail);
	if (!peerwire_encode_reply(NULL, 0, msg, &text, &len)) {
		peerwire_write(fd, text, len);
		free(text);
	}
}

/* The cell's page, mapped by name: a regular file of ours of exactly the expected size. */
static void *map_ctl(const struct peer_params *p, int fd)
{
	struct stat st;
	void *m;
	int cfd = open(p->ctl_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (cfd < 0) {
		reply_error(fd, "open the cell's control page: ", strerror(errno));
		return NULL;
	}
	if (fstat(cfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (size_t)st.st_size != p->ctl_bytes || p->ctl_bytes != side_map_bytes(&p->cfg)) {
		close(cfd);
		reply_error(fd, "the cell's control page is not the one expected", "");
		return NULL;
	}
	m = mmap(NULL, p->ctl_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	close(cfd);
	if (m == MAP_FAILED) {
		reply_error(fd, "mmap the cell's control page: ", strerror(errno));
		return NULL;
	}
	return m;
}

/* The server creates the channel and answers with its rendezvous; the client adopts it. */
static int peer_channel(struct peer_params *p, struct chan *ch, int fd)
{
	char *text;
	size_t len;
	int r;

	if (p->role == CHAN_CLIENT) {
		if (!p->priv) {
			reply_error(fd, "no rendezvous for the client", "");
			return -EINVAL;
		}
		ch->ops = p->cfg.ops;
		ch->priv = p->priv; /* ours now */
		p->priv = NULL;
		if (ch->ops->adopt)
			ch->ops->adopt(ch);
		return 0;
	}
	r = chan_open(ch, p->cfg.ops);
	if (r) {
		reply_error(fd, "", ch->errmsg[0] ? ch->errmsg : strerror(-r));
		return r;
	}
	r = peerwire_encode_reply(ch->priv, p->cfg.ops->priv_size, NULL, &text, &len);
	if (!r) {
		r = peerwire_write(fd, text, len);
		free(text);
	}
	return r;
}

/* The server a client starts (popen) has no control socket: it only attaches, to its stdin. */
static int peer_channel_started(struct peer_params *p, struct chan *ch)
{
	ch->ops = p->cfg.ops;
	ch->priv = calloc(1, p->cfg.ops->priv_size ? p->cfg.ops->priv_size : 1);
	return ch->priv ? 0 : -ENOMEM;
}

/* The peer's life once its parameters are read; ctlfd < 0: started by its client, parameters from a file. */
static int peer_run(const char *text, int ctlfd)
{
	struct peer_params p;
	struct side_ctx s;
	struct chan ch = {0};
	char why[300];
	uint8_t *base;
	int r = peerwire_decode(text, &p, why, sizeof(why));

	if (r) {
		reply_error(ctlfd, "bad parameters: ", why);
		return 2;
	}
	p.cfg.peers = PEERS_EXEC;
	clock_info.tsc = p.clock_tsc; /* the parent's choice and calibration: both sides' ticks agree */
	clock_info.name = p.clock_tsc ? "tsc" : "monotonic";
	clock_info.mult = p.clock_mult;
	clock_info.shift = p.clock_shift;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (p.parent && getppid() != p.parent)
		return 1;
	side_ignore_signals();
	base = map_ctl(&p, ctlfd);
	if (!base)
		return 1;
	side_chan_from_cfg(&ch, &p.cfg, &p.limits, p.tag);
	r = ctlfd < 0 ? peer_channel_started(&p, &ch) : peer_channel(&p, &ch, ctlfd);
	if (r)
		return 1;
	if (ctlfd >= 0)
		close(ctlfd);
	s = (struct side_ctx){.cfg = &p.cfg,
			      .ch = &ch,
			      .ctl = (struct ctl *)base,
			      .role = p.role,
			      .len = p.cfg.msg_bytes,
			      .snap_mem = p.cfg.interval_ns
						  ? base + side_ctl_bytes() +
							    hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS)
						  : NULL,
			      .snap_next = UINT64_MAX};
	r = side_main(&s, base + side_ctl_bytes());
	free(ch.priv); /* not destroyed: the parent removes the channel by name */
	peerwire_release(&p);
	return r;
}

int peer_main(int ctlfd)
{
	char *text;
	int r = peerwire_read(ctlfd, 30000, &text);

	if (r)
		return 2;
	r = peer_run(text, ctlfd);
	free(text);
	return r;
}

int peer_main_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;
	char *text;

	if (fd < 0)
		return 2;
	r = peerwire_read(fd, 30000, &text);
	close(fd);
	if (r)
		return 2;
	unlink(path); /* read once: nobody else may start this server */
	r = peer_run(text, -1);
	free(text);
	return r;
}
