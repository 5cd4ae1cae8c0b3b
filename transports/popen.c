/*
 * popen.c - the guides' popen(3): the client starts the server with
 * popen(cmd, "w"), which runs /bin/sh -c cmd with the write end of a pipe
 * as the server's stdin, and messages flow through the stdio stream:
 * fwrite then fflush per message on the client (stdio's buffering flushed
 * per message), fread of exactly the message on the server's stdin.
 *
 * Between which processes: the client and the child it starts; the
 * command (ch->server_cmd, from the harness) is `exec ipcbench peer
 * --params FILE`, ipcbench's own peer in the server role, which maps the
 * cell's page by name and verifies and records as every server does.
 *
 * Limits: one-way (TRANSPORT_ONE_WAY): data goes client to server only,
 * so pingpong is skipped; stream and rate work.  A byte stream with no
 * message limit of its own (a pipe buffer, fs.pipe-max-size).  A dead
 * server is EPIPE on the client's next flush; a hung one is caught by
 * the harness's watchdog (stdio has no timeout).  pclose() in detach
 * waits for the server to exit.  Nothing outlives the cell: no name, no
 * ledger entry.
 */
#include "transports/chan_util.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

struct popen_priv {
	FILE *f;      /* client: popen's stream; server: stdin */
	bool started; /* client: f is popen's, pclose it */
};

static int popen_probe(struct chan *ch)
{
	if (access("/bin/sh", X_OK) < 0)
		return chan_unavailable(ch, errno, "popen runs /bin/sh, which is not executable here");
	ch->limits.max_msg_bytes = 0;
	snprintf(ch->limits.note, sizeof(ch->limits.note),
		 "a byte stream through stdio over a pipe: no message limit; one-way (client to server)");
	return 0;
}

static int popen_create(struct chan *ch)
{
	(void)ch; /* the pipe is popen's, made in the client's attach() */
	return 0;
}

static int popen_attach(struct chan *ch, enum chan_role role)
{
	struct popen_priv *pp = ch->priv;

	if (role == CHAN_SERVER) {
		pp->f = stdin; /* the pipe popen gave us as fd 0 */
		return 0;
	}
	if (!ch->server_cmd)
		return chan_fail(ch, EINVAL, "popen: no server command (the harness starts the server through it)");
	fflush(NULL); /* popen forks: nothing of ours may be written twice */
	pp->f = popen(ch->server_cmd, "we");
	if (!pp->f)
		return chan_fail(ch, errno ? errno : ENOMEM, "popen /bin/sh -c %s", ch->server_cmd);
	pp->started = true;
	return 0;
}

static int popen_send(struct chan *ch, const void *buf, size_t len)
{
	struct popen_priv *pp = ch->priv;

	if (!pp->started)
		return chan_fail(ch, EOPNOTSUPP, "popen is one-way: the server cannot send");
	if (fwrite(buf, 1, len, pp->f) != len || fflush(pp->f) == EOF)
		return chan_fail(ch, errno ? errno : EIO, "fwrite+fflush %zu bytes to the popen stream", len);
	return 0;
}

static int popen_recv(struct chan *ch, void *buf, size_t len)
{
	struct popen_priv *pp = ch->priv;
	size_t n;

	if (pp->started)
		return chan_fail(ch, EOPNOTSUPP, "popen is one-way: the client cannot receive");
	n = fread(buf, 1, len, pp->f);
	if (n == len)
		return 0;
	if (feof(pp->f))
		return chan_fail(ch, EPIPE, "fread from stdin: end of stream after %zu of %zu bytes", n, len);
	return chan_fail(ch, errno ? errno : EIO, "fread %zu bytes from stdin", len);
}

static void popen_detach(struct chan *ch)
{
	struct popen_priv *pp = ch->priv;

	if (pp->started && pp->f)
		pclose(pp->f); /* end of stream for the server, then wait for it */
	pp->f = NULL;
	pp->started = false;
}

static void popen_destroy(struct chan *ch)
{
	(void)ch; /* nothing in the kernel outlives the two processes */
}

const struct transport_ops popen_ops = {
	.name = "popen",
	.summary = "popen(3): the client starts the server through /bin/sh, stdio stream flushed per message",
	.kind = CHAN_STREAM,
	.flags = TRANSPORT_ONE_WAY | TRANSPORT_CLIENT_STARTS_SERVER,
	.priv_size = sizeof(struct popen_priv),
	.probe = popen_probe,
	.create = popen_create,
	.attach = popen_attach,
	.send = popen_send,
	.recv = popen_recv,
	.detach = popen_detach,
	.destroy = popen_destroy,
};
