/*
 * test_registry.c - the transport registry and transport_check_ops(), the
 * check bench/main.c runs over every table at start-up: a table with a
 * missing required hook, a bad or duplicate name or contradictory flags is
 * refused with a reason that names the table and the problem.
 */
#include <stdio.h>
#include <string.h>

#include "tests/runner.h"
#include "transports/transport.h"

static int stub_create(struct chan *ch)
{
	return 0;
}

static int stub_attach(struct chan *ch, enum chan_role role)
{
	return 0;
}

static int stub_send(struct chan *ch, const void *buf, size_t len)
{
	return 0;
}

static int stub_recv(struct chan *ch, void *buf, size_t len)
{
	return 0;
}

static void stub_destroy(struct chan *ch)
{
}

/* A well-formed table that is not registered: each test breaks one thing. */
static struct transport_ops good(void)
{
	return (struct transport_ops){
		.name = "regtest_ok",
		.summary = "a table for the registry tests",
		.kind = CHAN_STREAM,
		.flags = TRANSPORT_CAN_SPIN,
		.create = stub_create,
		.attach = stub_attach,
		.send = stub_send,
		.recv = stub_recv,
		.destroy = stub_destroy,
	};
}

/* Runs the check; returns its verdict, the reason in why. */
static int check(const struct transport_ops *ops, char *why, size_t whylen)
{
	why[0] = '\0';
	return transport_check_ops(ops, why, whylen);
}

#define CHECK_REFUSED(ops, ...)                                                                            \
	do {                                                                                               \
		char why_[256];                                                                            \
		const char *want_[] = {__VA_ARGS__};                                                       \
		CHECK_MSG(check((ops), why_, sizeof(why_)) != 0, "accepted, expected a refusal");          \
		for (size_t i_ = 0; i_ < ARRAY_SIZE(want_); i_++)                                          \
			CHECK_MSG(strstr(why_, want_[i_]), "reason \"%s\" lacks \"%s\"", why_, want_[i_]); \
	} while (0)

TEST(every_registered_table_passes_and_is_found)
{
	char why[256];

	CHECK(transport_count > 0);
	for (size_t i = 0; i < transport_count; i++) {
		const struct transport_ops *ops = transport_table[i];

		test_context("%s", ops->name);
		CHECK_MSG(check(ops, why, sizeof(why)) == 0, "%s", why);
		CHECK(transport_find(ops->name) == ops);
		CHECK(ops->kind == CHAN_STREAM || ops->kind == CHAN_MESSAGE);
	}
	CHECK(transport_find("no_such_transport") == NULL);
	CHECK(transport_find("") == NULL);
	CHECK(transport_find("PIPE") == NULL);
}

TEST(a_good_table_passes_and_optional_hooks_may_be_null)
{
	struct transport_ops t = good();
	char why[256];

	CHECK_MSG(check(&t, why, sizeof(why)) == 0, "%s", why);
	t.probe = NULL;
	t.detach = NULL;
	t.priv_size = 0;
	CHECK_MSG(check(&t, why, sizeof(why)) == 0, "%s", why);
}

TEST(missing_name_or_summary)
{
	struct transport_ops t = good();

	t.name = NULL;
	CHECK_REFUSED(&t, "(unnamed)", "name");
	t.name = "";
	CHECK_REFUSED(&t, "name");
	t = good();
	t.summary = NULL;
	CHECK_REFUSED(&t, "regtest_ok", "summary");
}

TEST(missing_required_hook)
{
	static const char *const hooks[] = {"create", "attach", "send", "recv", "destroy"};

	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
		struct transport_ops t = good();

		switch (i) {
		case 0:
			t.create = NULL;
			break;
		case 1:
			t.attach = NULL;
			break;
		case 2:
			t.send = NULL;
			break;
		case 3:
			t.recv = NULL;
			break;
		default:
			t.destroy = NULL;
		}
		test_context("no %s", hooks[i]);
		CHECK_REFUSED(&t, "regtest_ok", hooks[i]);
	}
}

TEST(bad_names)
{
	static const char *const bad[] = {"Pipe", "pipe-x", "pipe x", "a/b", "sysv.mq", "p\xc3\xafpe", "tcp:v6", "x\n"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct transport_ops t = good();

		t.name = bad[i];
		test_context("name \"%s\"", bad[i]);
		CHECK_REFUSED(&t, "[a-z0-9_]");
	}
}

TEST(good_names)
{
	static const char *const ok[] = {"a", "shm_ring2", "unix_seq_v2"};
	char why[256];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct transport_ops t = good();

		t.name = ok[i];
		test_context("name \"%s\"", ok[i]);
		CHECK_MSG(check(&t, why, sizeof(why)) == 0, "%s", why);
	}
}

TEST(duplicate_name)
{
	/* a second table under a registered name, even an exact copy, is refused */
	struct transport_ops t = *transport_table[0];

	CHECK_REFUSED(&t, transport_table[0]->name, "twice");
	t = good();
	t.name = transport_table[transport_count - 1]->name;
	CHECK_REFUSED(&t, "twice");
}

TEST(contradictory_flags)
{
	struct transport_ops t = good();
	char why[256];

	t.flags = TRANSPORT_SPIN | TRANSPORT_CAN_SPIN;
	CHECK_REFUSED(&t, "regtest_ok", "SPIN");
	t.flags = TRANSPORT_SPIN;
	CHECK_MSG(check(&t, why, sizeof(why)) == 0, "%s", why);
}

TEST(reason_fits_a_small_buffer)
{
	struct transport_ops t = good();
	char why[8];

	memset(why, 'x', sizeof(why));
	t.send = NULL;
	CHECK(transport_check_ops(&t, why, sizeof(why)) != 0);
	CHECK(memchr(why, '\0', sizeof(why)) != NULL);
}

TEST(names_start_with_a_letter_and_stay_short)
{
	static const char *const bad[] = {"2pipe", "_pipe", "a_name_that_is_far_too_long_for_a_column"};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct transport_ops t = good();

		t.name = bad[i];
		test_context("name \"%s\"", bad[i]);
		CHECK_REFUSED(&t, "start with a letter");
	}
}

TEST(empty_summary_kind_and_unknown_flags)
{
	struct transport_ops t = good();

	t.summary = "";
	CHECK_REFUSED(&t, "no summary");
	t = good();
	t.kind = (enum chan_kind)7;
	CHECK_REFUSED(&t, "kind");
	t = good();
	t.flags |= 1u << 30;
	CHECK_REFUSED(&t, "unknown flag bits");
}

TEST(lossy_needs_messages)
{
	struct transport_ops t = good();
	char why[256];

	t.flags = TRANSPORT_LOSSY;
	CHECK_REFUSED(&t, "LOSSY");
	t.kind = CHAN_MESSAGE;
	CHECK_MSG(check(&t, why, sizeof(why)) == 0, "%s", why);
}

static const struct test_case cases[] = {
	T(names_start_with_a_letter_and_stay_short),
	T(empty_summary_kind_and_unknown_flags),
	T(lossy_needs_messages),
	T(every_registered_table_passes_and_is_found),
	T(a_good_table_passes_and_optional_hooks_may_be_null),
	T(missing_name_or_summary),
	T(missing_required_hook),
	T(bad_names),
	T(good_names),
	T(duplicate_name),
	T(contradictory_flags),
	T(reason_fits_a_small_buffer),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
