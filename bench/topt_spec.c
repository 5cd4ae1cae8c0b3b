/*
 * topt_spec.c - parses -t's list of transports, options and swept values
 * into transport variants (see topt_spec.h for the grammar).
 */
#include "bench/topt_spec.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/opt.h"

/* One transport of the list with its keys and their values, before the cross product. */
struct spec {
	const struct transport_ops *ops;
	size_t nval[TRANSPORT_MAX_OPTIONS];
	long long val[TRANSPORT_MAX_OPTIONS][TOPT_MAX_VALUES];
	int last; /* the key the next bare value belongs to; -1: none yet */
};

struct parse {
	struct spec *specs;
	size_t nspecs;
	char *err;
	size_t errlen;
};

void topt_keys(const struct transport_ops *ops, char *out, size_t outlen)
{
	size_t n = transport_option_count(ops), len;

	snprintf(out, outlen, "%s", n ? "" : "none");
	for (size_t i = 0; i < n; i++) {
		len = strlen(out);
		snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", ops->options[i].name);
	}
}

static int fail(const struct transport_ops *ops, char *err, size_t errlen, const char *what)
{
	char keys[200];

	topt_keys(ops, keys, sizeof(keys));
	snprintf(err, errlen, "transport %s: %s (%s options: %s; see 'ipcbench list -t %s')", ops->name, what,
		 ops->name, keys, ops->name);
	return -1;
}

static int parse_enum(const struct transport_option *o, const char *s, long long *v, char *why, size_t whylen)
{
	size_t n = 0;

	for (; o->values[n]; n++)
		if (!strcmp(o->values[n], s)) {
			*v = (long long)n;
			return 0;
		}
	snprintf(why, whylen, "expected one of ");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(why);

		snprintf(why + len, whylen - len, "%s%s", i ? "|" : "", o->values[i]);
	}
	return -1;
}

/* The value as its type reads it, without the range; why says what is wrong. */
static int parse_typed(const struct transport_option *o, const char *s, long long *v, char *why, size_t whylen)
{
	size_t sz;
	uint64_t u;

	switch (o->type) {
	case TOPT_SIZE:
		if (opt_parse_size(s, &sz, why, whylen))
			return -1;
		*v = (long long)sz;
		return 0;
	case TOPT_COUNT:
	case TOPT_USEC:
		if (opt_parse_count_or_zero(s, (uint64_t)o->max, &u, why, whylen)) {
			snprintf(why, whylen, "expected a whole number%s from %lld to %lld",
				 o->type == TOPT_USEC ? " of microseconds" : "", o->min, o->max);
			return -1;
		}
		*v = (long long)u;
		return 0;
	case TOPT_BOOL:
		if (strcmp(s, "0") && strcmp(s, "1")) {
			snprintf(why, whylen, "expected 0 or 1");
			return -1;
		}
		*v = s[0] == '1';
		return 0;
	case TOPT_ENUM:
		return parse_enum(o, s, v, why, whylen);
	}
	snprintf(why, whylen, "unknown option type");
	return -1;
}

int topt_parse_value(const struct transport_ops *ops, int opt, const char *s, long long *v, char *err, size_t errlen)
{
	const struct transport_option *o = &ops->options[opt];
	char why[200], what[400], lo[32], hi[32];

	if (parse_typed(o, s, v, why, sizeof(why))) {
		snprintf(what, sizeof(what), "%s=%s: %s", o->name, s, why);
		return fail(ops, err, errlen, what);
	}
	if ((o->type == TOPT_SIZE || o->type == TOPT_COUNT || o->type == TOPT_USEC) && (*v < o->min || *v > o->max)) {
		transport_option_format(o, o->min, true, lo, sizeof(lo));
		transport_option_format(o, o->max, true, hi, sizeof(hi));
		snprintf(what, sizeof(what), "%s=%s: out of range (%s to %s)", o->name, s, lo, hi);
		return fail(ops, err, errlen, what);
	}
	return 0;
}

static int add_value(struct parse *p, struct spec *sp, int k, const char *s)
{
	long long v;
	char what[300];

	if (topt_parse_value(sp->ops, k, s, &v, p->err, p->errlen))
		return -1;
	for (size_t i = 0; i < sp->nval[k]; i++)
		if (sp->val[k][i] == v) {
			snprintf(what, sizeof(what), "%s=%s: that value given twice", sp->ops->options[k].name, s);
			return fail(sp->ops, p->err, p->errlen, what);
		}
	if (sp->nval[k] == TOPT_MAX_VALUES) {
		snprintf(what, sizeof(what), "%s: more than %d values", sp->ops->options[k].name, TOPT_MAX_VALUES);
		return fail(sp->ops, p->err, p->errlen, what);
	}
	sp->val[k][sp->nval[k]++] = v;
	sp->last = k;
	return 0;
}

/* "KEY=VALUE" for the current transport. */
static int add_key(struct parse *p, struct spec *sp, char *piece)
{
	char *eq = strchr(piece, '='), what[300];
	int k;

	if (!piece[0])
		return fail(sp->ops, p->err, p->errlen, "an empty option (two ':' in a row, or one at the end)");
	if (!eq) {
		snprintf(what, sizeof(what), "'%s' is not KEY=VALUE", piece);
		return fail(sp->ops, p->err, p->errlen, what);
	}
	*eq = 0;
	k = transport_option_find(sp->ops, piece);
	if (k < 0) {
		snprintf(what, sizeof(what), "unknown option '%s' in '%s=%s'", piece, piece, eq + 1);
		return fail(sp->ops, p->err, p->errlen, what);
	}
	if (sp->nval[k]) {
		snprintf(what, sizeof(what), "option %s given twice (sweep it as %s=A,B)", piece, piece);
		return fail(sp->ops, p->err, p->errlen, what);
	}
	return add_value(p, sp, k, eq + 1);
}

static int new_spec(struct parse *p, const struct transport_ops *ops)
{
	if (p->nspecs == TOPT_MAX_VARIANTS) {
		snprintf(p->err, p->errlen, "-t: more than %d transports", TOPT_MAX_VARIANTS);
		return -1;
	}
	p->specs[p->nspecs] = (struct spec){.ops = ops, .last = -1};
	p->nspecs++;
	return 0;
}

/* Whether item is one of the named values of the current transport's last key (an enum). */
static bool names_a_value(const struct parse *p, const char *item)
{
	const struct spec *sp = p->nspecs ? &p->specs[p->nspecs - 1] : NULL;
	const struct transport_option *o;

	if (!sp || sp->last < 0)
		return false;
	o = &sp->ops->options[sp->last];
	for (size_t i = 0; o->type == TOPT_ENUM && o->values && o->values[i]; i++)
		if (!strcmp(o->values[i], item))
			return true;
	return false;
}

/*
 * One comma item: a transport, a key of the current one, or a value of its
 * last key; then its ':' pieces.  A bare word that is both a value of the
 * last key and a transport's name (vmsplice:recv=read,vmsplice) is the
 * value; with options (vmsplice:recv=read) it starts the transport.
 */
static int parse_item(struct parse *p, char *item)
{
	char *colon = strchr(item, ':'), *rest = colon ? colon + 1 : NULL;
	const struct transport_ops *ops;
	struct spec *sp;

	if (colon)
		*colon = 0;
	ops = colon || !names_a_value(p, item) ? transport_find(item) : NULL;
	if (ops) {
		if (new_spec(p, ops))
			return -1;
		sp = &p->specs[p->nspecs - 1];
	} else if (!p->nspecs || (!strchr(item, '=') && p->specs[p->nspecs - 1].last < 0)) {
		snprintf(p->err, p->errlen, "unknown transport '%s' (see 'ipcbench list')", item);
		return -1;
	} else {
		sp = &p->specs[p->nspecs - 1];
		if (strchr(item, '=') ? add_key(p, sp, item) : add_value(p, sp, sp->last, item))
			return -1;
	}
	while (rest) {
		char *piece = rest;

		rest = strchr(rest, ':');
		if (rest)
			*rest++ = 0;
		if (add_key(p, sp, piece))
			return -1;
	}
	return 0;
}

static bool same_variant(const struct topt_variant *a, const struct topt_variant *b)
{
	if (a->ops != b->ops || a->opts.given != b->opts.given)
		return false;
	for (int i = 0; i < TRANSPORT_MAX_OPTIONS; i++)
		if ((a->opts.given & (1u << i)) && a->opts.val[i] != b->opts.val[i])
			return false;
	return true;
}

/* The variant number idx of a spec's cross product (the last key varies fastest). */
static void make_variant(const struct spec *sp, size_t idx, struct topt_variant *v)
{
	size_t n = transport_option_count(sp->ops);

	*v = (struct topt_variant){.ops = sp->ops};
	for (size_t k = n; k-- > 0;) {
		const struct transport_option *o = &sp->ops->options[k];
		long long x;

		if (!sp->nval[k])
			continue;
		x = sp->val[k][idx % sp->nval[k]];
		idx /= sp->nval[k];
		v->opts.val[k] = x;
		if (o->def_text || x != o->def)
			v->opts.given |= 1u << k;
	}
}

/* The cross product of every spec, refusing a variant given twice. */
static int expand(struct parse *p, struct topt_variant **out, size_t *n)
{
	struct topt_variant *v = calloc(TOPT_MAX_VARIANTS, sizeof(*v));
	size_t cnt = 0;

	if (!v) {
		snprintf(p->err, p->errlen, "out of memory");
		return -1;
	}
	for (size_t s = 0; s < p->nspecs; s++) {
		size_t prod = 1;

		for (size_t k = 0; k < TRANSPORT_MAX_OPTIONS; k++)
			prod *= p->specs[s].nval[k] ? p->specs[s].nval[k] : 1;
		for (size_t i = 0; i < prod; i++) {
			char name[300];

			if (cnt == TOPT_MAX_VARIANTS) {
				snprintf(p->err, p->errlen, "-t: more than %d transport variants", TOPT_MAX_VARIANTS);
				free(v);
				return -1;
			}
			make_variant(&p->specs[s], i, &v[cnt]);
			for (size_t j = 0; j < cnt; j++) {
				if (!same_variant(&v[j], &v[cnt]))
					continue;
				transport_variant_name(v[cnt].ops, &v[cnt].opts, true, name, sizeof(name));
				snprintf(p->err, p->errlen, "transport '%s' given twice", name);
				free(v);
				return -1;
			}
			cnt++;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

int topt_spec_parse(const char *s, struct topt_variant **out, size_t *n, char *err, size_t errlen)
{
	struct parse p = {.err = err, .errlen = errlen};
	char **items;
	size_t nitems;
	int r = -1;

	if (opt_split_list_max(s, "transport", 4 * TOPT_MAX_VARIANTS, &items, &nitems, err, errlen))
		return -1;
	p.specs = calloc(TOPT_MAX_VARIANTS, sizeof(*p.specs));
	if (!p.specs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nitems; i++)
		if (parse_item(&p, items[i]))
			goto out;
	r = expand(&p, out, n);
out:
	free(p.specs);
	opt_free_list(items, nitems);
	return r;
}
