/*
 * test_topt.c - transport options: the -t parser (bench/topt_spec.c) with
 * its comma rule, sweeps and cross products, every refusal naming the
 * transport, the key and the value; the variant names keys and labels are
 * made of; and every registered options table passing its own check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/topt_spec.h"
#include "tests/runner.h"

static char err[700];

/* The variants of s as "name|name|...", labels (k/M) or raw. */
static void names(const char *s, bool label, char *out, size_t outlen)
{
	struct topt_variant *v;
	size_t n;

	out[0] = 0;
	test_context("%s", s);
	CHECK_OK(topt_spec_parse(s, &v, &n, err, sizeof(err)));
	for (size_t i = 0; i < n; i++) {
		char name[300];
		size_t len = strlen(out);

		transport_variant_name(v[i].ops, &v[i].opts, label, name, sizeof(name));
		snprintf(out + len, outlen - len, "%s%s", i ? "|" : "", name);
	}
	free(v);
}

static void refused(const char *s, const char *want1, const char *want2)
{
	struct topt_variant *v = NULL;
	size_t n = 0;

	test_context("%s", s);
	err[0] = 0;
	CHECK(topt_spec_parse(s, &v, &n, err, sizeof(err)) == -1);
	CHECK_MSG(strstr(err, want1) != NULL, "'%s' lacks '%s'", err, want1);
	CHECK_MSG(!want2 || strstr(err, want2) != NULL, "'%s' lacks '%s'", err, want2);
	CHECK_MSG(!strchr(err, '\n'), "'%s' is more than one line", err);
}

/*
 * -t specs and the variants they make, as cell keys (raw values) or as
 * labels (sizes in units): plain transports, one option, the comma rule
 * (a transport name starts a new transport, anything else sweeps the last
 * key), and the cross product of two swept keys in declaration order.
 */
static const struct {
	const char *spec;
	bool label;
	const char *want;
} variant_cases[] = {
	{"pipe,tcp,lockfile", false, "pipe|tcp|lockfile"},
	{"pipe:bufsize=64k", false, "pipe:bufsize=65536"},
	{"pipe:bufsize=64k", true, "pipe:bufsize=64k"},
	{"fifo:bufsize=100000", true, "fifo:bufsize=100000"},
	/* nodelay=1 is tcp's default: that variant is plain tcp */
	{"pipe:bufsize=64k,1M,tcp:nodelay=0,1", true, "pipe:bufsize=64k|pipe:bufsize=1M|tcp:nodelay=0|tcp"},
	{"lockfile:lock=fcntl,ofd,flock,lockf", true,
	 "lockfile|lockfile:lock=ofd|lockfile:lock=flock|lockfile:lock=lockf"},
	/* a transport name alone after a sweep starts a new transport */
	{"pipe:bufsize=4k,8k,fifo", true, "pipe:bufsize=4k|pipe:bufsize=8k|fifo"},
	{"tcp:nodelay=0,1,sndbuf=64k,1M", true,
	 "tcp:nodelay=0:sndbuf=64k|tcp:nodelay=0:sndbuf=1M|tcp:sndbuf=64k|tcp:sndbuf=1M"},
	/* keys after ':' in a continuing item belong to the same transport */
	{"tcp:nodelay=0,1:busy_poll=50", true, "tcp:nodelay=0:busy_poll=50|tcp:busy_poll=50"},
	/* a value that is also a transport's name is the value; with options it is the transport */
	{"vmsplice:recv=read,vmsplice,pipe", true, "vmsplice|vmsplice:recv=vmsplice|pipe"},
	{"vmsplice:recv=splice,vmsplice:recv=read", true, "vmsplice:recv=splice|vmsplice"},
	/* the key order in the name is the declaration's, not the command line's */
	{"tcp:sndbuf=4k:nodelay=0", false, "tcp:nodelay=0:sndbuf=4096"},
};

TEST(specs_make_the_variants_they_name)
{
	char out[1000];

	for (size_t i = 0; i < ARRAY_SIZE(variant_cases); i++) {
		names(variant_cases[i].spec, variant_cases[i].label, out, sizeof(out));
		CHECK_EQ_STR(out, variant_cases[i].want);
	}
}

TEST(unknown_key_names_transport_key_and_known_keys)
{
	refused("pipe:bogus=1", "transport pipe: unknown option 'bogus' in 'bogus=1'", "pipe options: bufsize");
	refused("tcp:nagle=0", "unknown option 'nagle'", "nodelay, sndbuf, rcvbuf, busy_poll");
	refused("eventfd:bufsize=4k", "transport eventfd: unknown option 'bufsize'", "options: none");
}

TEST(bad_values_and_types_are_refused)
{
	refused("pipe:bufsize=64q", "transport pipe: bufsize=64q:", "pipe options: bufsize");
	refused("tcp:nodelay=2", "transport tcp: nodelay=2: expected 0 or 1", NULL);
	refused("tcp:nodelay=yes", "nodelay=yes: expected 0 or 1", NULL);
	refused("lockfile:lock=posix", "lock=posix: expected one of fcntl|ofd|flock|lockf", NULL);
	refused("tcp:busy_poll=-1", "busy_poll=-1: expected a whole number of microseconds", NULL);
	refused("pipe:bufsize=", "bufsize=:", NULL);
	refused("pipe:bufsize", "'bufsize' is not KEY=VALUE", NULL);
	refused("pipe:", "an empty option", NULL);
	refused("pipe::bufsize=4k", "an empty option", NULL);
}

TEST(out_of_range_is_refused_with_the_range)
{
	refused("pipe:bufsize=1k", "bufsize=1k: out of range (4k to 256M)", NULL);
	refused("tcp:busy_poll=2000000", "busy_poll=2000000", "0 to 1000000");
	/* a swept value is checked like the first */
	refused("pipe:bufsize=64k,2k", "bufsize=2k: out of range", NULL);
}

TEST(misuse_of_the_list_is_refused)
{
	refused("nope", "unknown transport 'nope'", NULL);
	refused("nope:x=1", "unknown transport 'nope'", NULL);
	/* a bare item after a transport without a key is not a value of anything */
	refused("pipe,64k", "unknown transport '64k'", NULL);
	refused("pipe,pipe", "transport 'pipe' given twice", NULL);
	refused("pipe:bufsize=64k,pipe:bufsize=64k", "transport 'pipe:bufsize=64k' given twice", NULL);
	refused("pipe:bufsize=64k,64k", "that value given twice", NULL);
	refused("tcp:nodelay=0:nodelay=1", "option nodelay given twice", NULL);
	refused("pipe,,tcp", "empty transport", NULL);
	/* the default spelled out is the default: twice with the plain name */
	refused("tcp,tcp:nodelay=1", "transport 'tcp' given twice", NULL);
}

TEST(every_registered_options_table_checks)
{
	char why[300];

	for (size_t i = 0; i < transport_count; i++) {
		test_context("%s", transport_table[i]->name);
		CHECK_MSG(transport_check_options(transport_table[i], why, sizeof(why)) == 0, "%s", why);
	}
}

TEST(a_bad_options_table_is_refused)
{
	static const char *const one[] = {"a", NULL};
	static const struct transport_option bad_range[] = {
		{.name = "x", .type = TOPT_COUNT, .def = 5, .min = 0, .max = 4, .help = "h"}, {0}};
	static const struct transport_option bad_enum[] = {{.name = "x", .type = TOPT_ENUM, .values = one, .help = "h"},
							   {0}};
	static const struct transport_option bad_name[] = {{.name = "X-1", .type = TOPT_BOOL, .help = "h"}, {0}};
	static const struct transport_option no_help[] = {{.name = "x", .type = TOPT_BOOL}, {0}};
	const struct transport_option *tables[] = {bad_range, bad_enum, bad_name, no_help};
	struct transport_ops t = {.name = "fake"};
	char why[300];

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		test_context("table %zu", i);
		t.options = tables[i];
		CHECK(transport_check_options(&t, why, sizeof(why)) == -1);
		CHECK(strstr(why, "transport fake: option") != NULL);
	}
}

TEST(the_accessor_reads_asked_or_default)
{
	struct topt_variant *v;
	struct chan ch = {0};
	size_t n;

	CHECK_OK(topt_spec_parse("tcp:nodelay=0:sndbuf=64k", &v, &n, err, sizeof(err)));
	CHECK_EQ_U64(n, 1);
	ch.ops = v[0].ops;
	ch.opts = v[0].opts;
	CHECK_EQ_I64(chan_opt(&ch, transport_option_find(ch.ops, "nodelay")), 0);
	CHECK_EQ_I64(chan_opt(&ch, transport_option_find(ch.ops, "sndbuf")), 65536);
	CHECK(!chan_opt_given(&ch, transport_option_find(ch.ops, "busy_poll")));
	CHECK_EQ_I64(chan_opt(&ch, transport_option_find(ch.ops, "busy_poll")), 0);
	/* a zeroed chan is every default */
	ch.opts = (struct chan_opts){0};
	CHECK_EQ_I64(chan_opt(&ch, transport_option_find(ch.ops, "nodelay")), 1);
	free(v);
}

static const struct test_case cases[] = {
	T(specs_make_the_variants_they_name), T(unknown_key_names_transport_key_and_known_keys),
	T(bad_values_and_types_are_refused),  T(out_of_range_is_refused_with_the_range),
	T(misuse_of_the_list_is_refused),     T(every_registered_options_table_checks),
	T(a_bad_options_table_is_refused),    T(the_accessor_reads_asked_or_default),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
