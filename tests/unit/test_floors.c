/*
 * test_floors.c - the floors cache (harness/floors.h): what the writer
 * writes the reader reads back exactly; a truncated file, hostile values,
 * a file of another version and another host's key are never taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/floors.h"
#include "tests/runner.h"

static const struct floors_key key = {.cpu_model = "AMD EPYC", .kernel = "6.1.0 #1 SMP", .clock = "tsc", .cpus = "0,1"};

static void sample(struct calib *c)
{
	memset(c, 0, sizeof(*c));
	c->valid = true;
	snprintf(c->measured_at, sizeof(c->measured_at), "2026-12-01T10:00:00Z");
	c->clock_read_ns = 19.25;
	c->cacheline_rtt_ns = 110;
	c->cacheline_rtt_same_ns = 2800.5;
	c->futex_rtt_ns = 42000;
	c->futex_rtt_same_ns = 4700.125;
	for (int i = 0; i < FLOORS_NMEMCPY; i++) {
		c->memcpy_sizes[i] = floors_memcpy_bytes[i];
		c->memcpy_gbps[i] = 10.0 + i / 3.0;
	}
	c->shm_copy_bytes = FLOORS_SHM_COPY_BYTES;
	c->shm_copy_gbps = 21.5;
	c->shm_copy_same_gbps = 22.0 / 7.0;
}

/* The good file's text, in a buffer the parser may modify. */
static char *good_text(char *buf, size_t len)
{
	struct calib c;

	sample(&c);
	CHECK(floors_format(&c, &key, buf, len) > 0);
	return buf;
}

/* Replaces the first occurrence of from by to in text (in place, to fits). */
static void replace(char *text, size_t len, const char *from, const char *to)
{
	char *p = strstr(text, from), tail[FLOORS_MAX_BYTES];

	CHECK_MSG(p != NULL, "'%s' not in the text", from);
	snprintf(tail, sizeof(tail), "%s", p + strlen(from));
	snprintf(p, len - (size_t)(p - text), "%s%s", to, tail);
}

static int parse(char *text, struct calib *c)
{
	char err[200] = "";
	int r = floors_parse(text, &key, c, err, sizeof(err));

	CHECK(r == 0 || err[0]);
	return r;
}

TEST(good_file_round_trips)
{
	char text[FLOORS_MAX_BYTES];
	struct calib want, got;

	sample(&want);
	CHECK_EQ_I64(parse(good_text(text, sizeof(text)), &got), 0);
	CHECK(got.valid && got.from_cache);
	CHECK_EQ_STR(got.cpus, "0,1");
	CHECK_EQ_STR(got.measured_at, want.measured_at);
	CHECK(got.clock_read_ns == want.clock_read_ns);
	CHECK(got.futex_rtt_same_ns == want.futex_rtt_same_ns);
	CHECK(got.cacheline_rtt_same_ns == want.cacheline_rtt_same_ns);
	CHECK(got.shm_copy_same_gbps == want.shm_copy_same_gbps);
	for (int i = 0; i < FLOORS_NMEMCPY; i++) {
		CHECK_EQ_U64(got.memcpy_sizes[i], floors_memcpy_bytes[i]);
		CHECK(got.memcpy_gbps[i] == want.memcpy_gbps[i]);
	}
}

TEST(every_truncation_is_malformed)
{
	char full[FLOORS_MAX_BYTES], text[FLOORS_MAX_BYTES];
	struct calib c;
	size_t len = strlen(good_text(full, sizeof(full)));

	for (size_t cut = 0; cut < len; cut++) {
		memcpy(text, full, cut);
		text[cut] = 0;
		test_context("cut at %zu of %zu", cut, len);
		/* a cut inside the host key lines may read as another host's: never as good */
		CHECK(parse(text, &c) != 0);
		CHECK(!c.valid);
	}
}

TEST(hostile_values_are_malformed)
{
	static const char *const bad[] = {
		"-4700.125", "nan", "inf", "0", "1e400", "0x1p12", "4700.125x", " 4700", "1e11", "", "+5",
	};
	char text[FLOORS_MAX_BYTES], line[64];
	struct calib c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		good_text(text, sizeof(text));
		snprintf(line, sizeof(line), "futex_rtt_same_ns %s\n", bad[i]);
		replace(text, sizeof(text), "futex_rtt_same_ns 4700.125\n", line);
		test_context("futex_rtt_same_ns '%s'", bad[i]);
		CHECK_EQ_I64(parse(text, &c), -EINVAL);
	}
	good_text(text, sizeof(text));
	replace(text, sizeof(text), "memcpy 4096 ", "memcpy 4097 ");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
	good_text(text, sizeof(text));
	replace(text, sizeof(text), "shm_copy 1048576 21.5", "shm_copy 1048576 1e300");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
	good_text(text, sizeof(text));
	replace(text, sizeof(text), "end\n", "end\nextra 1\n");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
	good_text(text, sizeof(text));
	replace(text, sizeof(text), "measured_at 2026", "measured_at 2026-12-01T10:00:00Z-and-much-more-than-fits");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
	good_text(text, sizeof(text));
	replace(text, sizeof(text), "clock_read_ns", "unknown_key");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
}

TEST(another_host_or_version_is_a_miss)
{
	static const char *const from[] = {"cpu_model AMD EPYC", "kernel 6.1.0", "clock tsc", "cpus 0,1"};
	static const char *const to[] = {"cpu_model Intel Xeon", "kernel 6.2.0", "clock monotonic", "cpus 0,0"};
	char text[FLOORS_MAX_BYTES];
	struct calib c;

	for (size_t i = 0; i < ARRAY_SIZE(from); i++) {
		good_text(text, sizeof(text));
		replace(text, sizeof(text), from[i], to[i]);
		test_context("%s", to[i]);
		CHECK_EQ_I64(parse(text, &c), -ENOENT);
		CHECK(!c.valid);
	}
	good_text(text, sizeof(text));
	replace(text, sizeof(text), FLOORS_MAGIC, "ipcbench-calibration 1");
	CHECK_EQ_I64(parse(text, &c), -ENOENT);
	good_text(text, sizeof(text));
	replace(text, sizeof(text), FLOORS_MAGIC, "not-a-cache 2");
	CHECK_EQ_I64(parse(text, &c), -EINVAL);
}

/* The real path: written through outfile (no temp file left), read back, then refused when hostile. */
TEST(save_load_and_hostile_files)
{
	char dir[] = "/tmp/ipcb-floors-XXXXXX", path[4200], err[300], cmd[300];
	struct calib c, got;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	setenv("XDG_CACHE_HOME", dir, 1);
	sample(&c);
	CHECK_EQ_I64(floors_load(&got, 0, 1, err, sizeof(err)), -ENOENT);
	CHECK_OK(floors_save(&c, 0, 1, err, sizeof(err)));
	CHECK_OK(floors_load(&got, 0, 1, err, sizeof(err)));
	CHECK(got.futex_rtt_same_ns == c.futex_rtt_same_ns);
	CHECK_OK(floors_path(0, 1, path, sizeof(path), err, sizeof(err)));
	/* a NUL byte inside */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "\0x\n", 3) == 3);
	close(fd);
	CHECK_EQ_I64(floors_load(&got, 0, 1, err, sizeof(err)), -EINVAL);
	/* too large */
	CHECK(truncate(path, FLOORS_MAX_BYTES * 2) == 0);
	CHECK_EQ_I64(floors_load(&got, 0, 1, err, sizeof(err)), -EINVAL);
	/* a symlink is not followed */
	CHECK(unlink(path) == 0);
	CHECK(symlink("/etc/passwd", path) == 0);
	CHECK(floors_load(&got, 0, 1, err, sizeof(err)) < 0);
	CHECK(!got.valid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static const struct test_case cases[] = {
	T(good_file_round_trips),	 T(every_truncation_is_malformed),
	T(hostile_values_are_malformed), T(another_host_or_version_is_a_miss),
	T(save_load_and_hostile_files),
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, cases, ARRAY_SIZE(cases));
}
