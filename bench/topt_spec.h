/*
 * topt_spec.h - the -t list of `ipcbench run`: transports with options,
 * options with swept values (transport.h declares the options).
 *
 *	-t pipe,tcp                     two transports, default options
 *	-t pipe:bufsize=64k             one option (several: tcp:nodelay=0:sndbuf=1M)
 *	-t pipe:bufsize=64k,1M,tcp:nodelay=0,1
 *	                                four variants
 *	-t tcp:nodelay=0,1,sndbuf=64k,1M
 *	                                four variants: the cross product
 *
 * The rule: the list is cut at each ',' and each item at each ':'.  An
 * item whose first piece is a registered transport name starts a new
 * transport; a first piece KEY=VALUE adds a key to the current transport;
 * any other first piece is one more value of the last key written.  The
 * pieces after the first are KEY=VALUE.  Keys swept together give their
 * cross product.  Every value is parsed and range-checked here, before
 * anything runs; a value equal to the declared default is the default
 * (no variant of its own).
 */
#ifndef IPCBENCH_TOPT_SPEC_H
#define IPCBENCH_TOPT_SPEC_H

#include <stddef.h>

#include "transports/transport.h"

#define TOPT_MAX_VALUES 32    /* values one option sweeps */
#define TOPT_MAX_VARIANTS 256 /* transport variants one -t makes */

struct topt_variant {
	const struct transport_ops *ops;
	struct chan_opts opts;
};

/*
 * One value of option o of ops: 0 with *v set, or -1 with err one line
 * naming the transport, the key and the value, and listing the keys.
 */
int topt_parse_value(const struct transport_ops *ops, int opt, const char *s, long long *v, char *err, size_t errlen);

/* The -t list: 0 with *out (malloc'd, *n variants), or -1 with err one line. */
int topt_spec_parse(const char *s, struct topt_variant **out, size_t *n, char *err, size_t errlen);

/* "bufsize, nodelay" or "none": the keys ops takes. */
void topt_keys(const struct transport_ops *ops, char *out, size_t outlen);

#endif
