/*
 * peerwire.h - a cell's parameters as text, the one place they are
 * serialized: the parent to an exec'd peer (--peers exec), and later the
 * client to `ipcbench serve`.
 *
 * The text is "key value" lines ending in "end".  The decoder treats its
 * input as hostile: every key must be known and appear at most once,
 * every number is checked (strtoull, full match, range), strings are
 * bounded, and the transport is looked up in the registry.
 */
#ifndef IPCBENCH_PEERWIRE_H
#define IPCBENCH_PEERWIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/harness.h"

#define PEERWIRE_VERSION 1
#define PEERWIRE_MAX_TEXT 65536
#define PEERWIRE_PATH_MAX 4096

struct peer_params {
	struct cell_config cfg; /* ops resolved; run_dir points into run_dir below */
	enum chan_role role;
	char run_dir[PEERWIRE_PATH_MAX];
	char tag[64];
	char ctl_path[PEERWIRE_PATH_MAX + 80]; /* the shared control page, a file in run_dir */
	size_t ctl_bytes;		       /* its size, checked against the file */
	struct chan_limits limits;	       /* max_msg_bytes, unit_bytes, opt[] (not note) */
	pid_t parent;			       /* the peer dies with this process */
	bool clock_tsc;			       /* the run's clock: the sides' timestamps must agree */
	uint64_t clock_mult;
	unsigned int clock_shift;
	uint8_t *priv; /* the rendezvous (the creator's priv), or NULL */
	size_t priv_len;
};

/* Appends p as text to a malloc'd buffer: 0 or -ENOMEM.  *out ends in "end\n" and a NUL. */
int peerwire_encode(const struct peer_params *p, char **out, size_t *outlen);
/* Parses text into p (priv malloc'd: peerwire_release).  0 or -EINVAL with why. */
int peerwire_decode(const char *text, struct peer_params *p, char *why, size_t whylen);
void peerwire_release(struct peer_params *p);

/* "priv <hex>\nend\n" or "error <text>\nend\n": the server's answer after create(). */
int peerwire_encode_reply(const void *priv, size_t len, const char *error, char **out, size_t *outlen);
/* 0 with *priv (malloc'd, len bytes exactly), or -EPROTO with the peer's error (or why the text is bad) in why. */
int peerwire_decode_reply(const char *text, size_t len, uint8_t **priv, char *why, size_t whylen);

/*
 * Reads from fd until a line "end", at most PEERWIRE_MAX_TEXT bytes, for
 * at most timeout_ms (<= 0: forever): 0 with *text (malloc'd, NUL-ended),
 * -ETIMEDOUT, -EPIPE (closed first), -EMSGSIZE, or another -errno.
 */
int peerwire_read(int fd, int timeout_ms, char **text);
int peerwire_write(int fd, const char *text, size_t len);

#endif
