/*
 * topt.c - transport options as data (transport.h): the accessors a
 * transport reads them with, the check of a table's options array, and
 * the text of a value and of a variant ("pipe:bufsize=65536") that keys,
 * file names and chart labels are made of.  Parsing what a user typed is
 * bench/'s (bench/topt_spec.c); here nothing is parsed.
 */
#include "transports/transport.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define TOPT_NAME_MAX 16

size_t transport_option_count(const struct transport_ops *ops)
{
	size_t n = 0;

	while (ops->options && ops->options[n].name)
		n++;
	return n;
}

int transport_option_find(const struct transport_ops *ops, const char *name)
{
	for (size_t i = 0; ops->options && ops->options[i].name; i++)
		if (!strcmp(ops->options[i].name, name))
			return (int)i;
	return -1;
}

static size_t enum_count(const struct transport_option *o)
{
	size_t n = 0;

	while (o->values && o->values[n])
		n++;
	return n;
}

static bool opt_name_ok(const char *name)
{
	if (!name[0] || strlen(name) > TOPT_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/* What is wrong with one option, or NULL. */
static const char *bad_option(const struct transport_option *o)
{
	if (!opt_name_ok(o->name))
		return "name must be [a-z_], at most 16 long";
	if (!o->help || !o->help[0])
		return "no help";
	switch (o->type) {
	case TOPT_BOOL:
		return o->def == 0 || o->def == 1 ? NULL : "a bool's default is 0 or 1";
	case TOPT_ENUM:
		if (enum_count(o) < 2)
			return "an enum needs at least two values";
		return o->def >= 0 && (size_t)o->def < enum_count(o) ? NULL : "default outside values";
	case TOPT_SIZE:
	case TOPT_COUNT:
	case TOPT_USEC:
		if (o->min < 0 || o->min > o->max)
			return "min..max is not a range of non-negative values";
		if (o->def_text)
			return o->def == 0 && o->min > 0 ? NULL : "a host default is def 0, below min";
		return o->def >= o->min && o->def <= o->max ? NULL : "default outside min..max";
	}
	return "unknown type";
}

int transport_check_options(const struct transport_ops *ops, char *why, size_t whylen)
{
	size_t n = transport_option_count(ops);

	if (n > TRANSPORT_MAX_OPTIONS) {
		snprintf(why, whylen, "transport %s: more than %d options", ops->name, TRANSPORT_MAX_OPTIONS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *bad = bad_option(&ops->options[i]);

		for (size_t j = 0; !bad && j < i; j++)
			if (!strcmp(ops->options[i].name, ops->options[j].name))
				bad = "declared twice";
		if (bad) {
			snprintf(why, whylen, "transport %s: option %s: %s", ops->name,
				 ops->options[i].name ? ops->options[i].name : "(unnamed)", bad);
			return -1;
		}
	}
	return 0;
}

long long chan_opt(const struct chan *ch, int i)
{
	if (i < 0 || i >= TRANSPORT_MAX_OPTIONS || !ch->ops || (size_t)i >= transport_option_count(ch->ops))
		return 0;
	return ch->opts.given & (1u << i) ? ch->opts.val[i] : ch->ops->options[i].def;
}

bool chan_opt_given(const struct chan *ch, int i)
{
	return i >= 0 && i < TRANSPORT_MAX_OPTIONS && (ch->opts.given & (1u << i));
}

void chan_opt_record(struct chan *ch, int i, long long effective)
{
	if (i >= 0 && i < TRANSPORT_MAX_OPTIONS)
		ch->limits.opt[i] = effective;
}

void transport_option_format(const struct transport_option *o, long long v, bool label, char *out, size_t outlen)
{
	static const char sfx[] = "kMG";
	int shift = 0;

	if (o->type == TOPT_ENUM) {
		snprintf(out, outlen, "%s", v >= 0 && (size_t)v < enum_count(o) ? o->values[v] : "?");
		return;
	}
	if (o->type == TOPT_SIZE && label)
		while (shift < 3 && v >= 1024 && v % 1024 == 0) {
			v /= 1024;
			shift++;
		}
	if (shift)
		snprintf(out, outlen, "%lld%c", v, sfx[shift - 1]);
	else
		snprintf(out, outlen, "%lld", v);
}

void transport_variant_name(const struct transport_ops *ops, const struct chan_opts *o, bool label, char *out,
			    size_t outlen)
{
	size_t n = transport_option_count(ops), len;

	snprintf(out, outlen, "%s", ops->name);
	for (size_t i = 0; i < n && i < TRANSPORT_MAX_OPTIONS; i++) {
		char v[64];

		if (!(o->given & (1u << i)))
			continue;
		transport_option_format(&ops->options[i], o->val[i], label, v, sizeof(v));
		len = strlen(out);
		snprintf(out + len, outlen - len, ":%s=%s", ops->options[i].name, v);
	}
}
