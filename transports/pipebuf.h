/*
 * pipebuf.h - the bufsize option of pipe and fifo (internal to
 * transports/): F_SETPIPE_SZ on each pipe of the channel.
 */
#ifndef IPCBENCH_PIPEBUF_H
#define IPCBENCH_PIPEBUF_H

#include "transports/transport.h"

enum { PIPEBUF_OPT_BUFSIZE };

extern const struct transport_option pipebuf_options[];

/*
 * From probe(): tries the asked size on a scratch pipe and records what
 * the kernel grants (F_GETPIPE_SZ).  0 with *granted set; a size the host
 * refuses is chan_unavailable() naming fs.pipe-max-size.
 */
int pipebuf_probe(struct chan *ch, int *granted);
/*
 * probe() of a pipe-based transport: pipebuf_probe, then the limits note
 * "<what> of N bytes (F_GETPIPE_SZ), fs.pipe-max-size M".
 */
int pipebuf_probe_limits(struct chan *ch, const char *what);
/* Sets the asked size on fd (a no-op when bufsize was not given): 0 or chan_fail(). */
int pipebuf_apply(struct chan *ch, int fd);

#endif
