/*
 * test_wake.c - the wake-up primitives (sem_posix, sem_sysv, futex,
 * condvar, sigqueue; transports/wake.h), each through the same cases:
 *
 *  roundtrip   pingpong and stream cells at size 0: every message counted
 *  sizes       any size but 0 is skipped with the reason, never measured
 *  stray       a wake-up nobody posted through the transport (a raw
 *              sem_post, semop, FUTEX_WAKE, broadcast, or a signal with
 *              the wrong number) is never taken for a message: the
 *              semaphores and sigqueue report it (-EPROTO), the futex and
 *              the condition variable look at the count and sleep on
 *  lost        (semaphores) a post counted but never rung is a lost
 *              wake-up (-EPROTO), not a silent peer
 *  dead_peer   a receiver whose peer never posts gives up after
 *              ch->timeout_ms with -ETIMEDOUT
 *  crash       a process that made the channel and died without destroy
 *              leaves objects that cleanup_dead_runs (ipcbench clean)
 *              removes: no sem.* name in /dev/shm, no SysV set
 *
 * test_transports.c runs them through peer_dies and cleanup as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/cleanup.h"
#include "harness/clock.h"
#include "harness/harness.h"
#include "tests/conformance/confcell.h"
#include "tests/runner.h"
#include "transports/ledger.h"
#include "transports/transport.h"
#include "transports/wake.h"

extern const struct transport_ops sem_posix_ops, sem_sysv_ops, futex_ops, condvar_ops, sigqueue_ops;

static char run_dir[4096];

static void setup(void)
{
	clock_setup(true);
	if (rundir_create(run_dir, sizeof(run_dir)))
		test_fail(__FILE__, __LINE__, "cannot create a run directory");
}

static void teardown(void)
{
	rundir_remove(run_dir);
}

static void case_roundtrip(void)
{
	const struct transport_ops *ops = test_arg;
	const enum pattern pats[] = {PATTERN_PINGPONG, PATTERN_STREAM};

	setup();
	for (size_t i = 0; i < ARRAY_SIZE(pats); i++) {
		struct cell_config cfg = confcell_config(ops, pats[i], 0, run_dir);
		struct cell_result res;

		cfg.iterations = pats[i] == PATTERN_STREAM ? 2000 : 300; /* stream: past the window of 256 */
		CHECK_OK(cell_run(&cfg, &res));
		test_context("%s %s at size 0", ops->name, pattern_name(pats[i]));
		CHECK_MSG(res.status == CELL_OK, "status %s: %s", cell_status_name(res.status), res.reason);
		CHECK_EQ_U64(res.count, cfg.iterations);
		if (pats[i] == PATTERN_PINGPONG)
			CHECK_EQ_I64(res.latency.total_count, cfg.iterations);
		CHECK(res.msgs_per_sec > 0);
		CHECK(res.bytes_per_sec == 0);
		cell_result_release(&res);
	}
	teardown();
}

static void case_sizes(void)
{
	const struct transport_ops *ops = test_arg;
	const struct transport_ops *pipe = transport_find("pipe");
	struct cell_config cfg;
	struct cell_result res;

	setup();
	cfg = confcell_config(ops, PATTERN_PINGPONG, 64, run_dir);
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED && strstr(res.reason, "--sizes 0"), "%s: %s", cell_status_name(res.status),
		  res.reason);
	cell_result_release(&res);
	/* and size 0 is theirs alone */
	cfg = confcell_config(pipe, PATTERN_PINGPONG, 0, run_dir);
	CHECK_OK(cell_run(&cfg, &res));
	CHECK_MSG(res.status == CELL_SKIPPED && strstr(res.reason, "size 0"), "%s: %s", cell_status_name(res.status),
		  res.reason);
	cell_result_release(&res);
	teardown();
}

/* The server's one receive: 0 taken, 1 -EPROTO, 2 -ETIMEDOUT, 3 anything else. */
static int serve_one(struct chan *ch)
{
	int r;

	if (chan_attach(ch, CHAN_SERVER))
		return 4;
	r = chan_recv(ch, NULL, 0);
	return r == 0 ? 0 : r == -EPROTO ? 1 : r == -ETIMEDOUT ? 2 : 3;
}

/* The ledger entry of kind k for the client-to-server object (a name ending in -c2s, or the one SysV set). */
static bool ledger_find(struct chan *ch, enum ledger_kind k, struct ledger_entry *out)
{
	static struct ledger l;
	char path[4200];

	if (chan_ledger_path(ch, path, sizeof(path)) || ledger_read(path, &l))
		return false;
	for (size_t i = 0; i < l.n; i++) {
		if (l.e[i].kind == k && (ledger_kind_is_sysv(k) || strstr(l.e[i].name, "-c2s"))) {
			*out = l.e[i];
			return true;
		}
	}
	return false;
}

enum fault { FAULT_STRAY, FAULT_LOST, FAULT_NONE };

/* A wake-up (or a count) on the client-to-server direction that no send made. */
static void inject(struct chan *ch, enum fault f, pid_t server)
{
	const struct transport_ops *ops = ch->ops;
	struct wake_chan *w = ch->priv;
	struct ledger_entry e;

	if (f == FAULT_NONE)
		return;
	if (f == FAULT_LOST) {
		if (ops == &sigqueue_ops) { /* from the peer, number 5 where 1 is due: four lost */
			atomic_store(&w->pg->pid[CHAN_CLIENT], (int32_t)getpid());
			CHECK_OK(sigqueue(server, SIGRTMIN, (union sigval){.sival_int = 5}));
		} else {
			atomic_fetch_add(&w->pg->post[WAKE_C2S].posted, 1);
		}
		return;
	}
	if (ops == &sem_posix_ops) {
		sem_t *s;

		CHECK(ledger_find(ch, LEDGER_POSIX_SEM, &e));
		s = sem_open(e.name, 0);
		CHECK(s != SEM_FAILED);
		CHECK_OK(sem_post(s));
		sem_close(s);
	} else if (ops == &sem_sysv_ops) {
		struct sembuf op = {.sem_num = WAKE_C2S, .sem_op = 1};

		CHECK(ledger_find(ch, LEDGER_SYSV_SEM, &e));
		CHECK_OK(semop(semget((key_t)e.key, 0, 0), &op, 1));
	} else if (ops == &futex_ops) {
		CHECK(syscall(SYS_futex, &w->pg->post[WAKE_C2S].posted, FUTEX_WAKE, 1, NULL, NULL, 0) >= 0);
	} else if (ops == &condvar_ops) {
		struct wake_condvar *cv = (struct wake_condvar *)w->pg->own + WAKE_C2S;

		pthread_mutex_lock(&cv->m);
		pthread_cond_broadcast(&cv->c);
		pthread_mutex_unlock(&cv->m);
	} else {
		CHECK_OK(sigqueue(server, SIGRTMIN, (union sigval){.sival_int = 1})); /* not from the peer */
	}
}

/* A server waits for one wake-up with a 400 ms timeout while the test (not attached as client) injects f. */
static int one_receive(const struct transport_ops *ops, enum fault f, double *secs)
{
	struct chan ch = {.ops = ops, .run_dir = run_dir, .timeout_ms = 400};
	struct timespec a, b;
	char tag[64];
	pid_t pid;
	int st;

	rundir_new_tag(tag, sizeof(tag));
	ch.tag = tag;
	CHECK_MSG(chan_probe(&ch, ops) == 0, "probe: %s", ch.errmsg);
	CHECK_MSG(chan_open(&ch, ops) == 0, "create: %s", ch.errmsg);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0)
		_exit(serve_one(&ch));
	/* the server publishes its pid once it blocked the signal: the signal waits for that */
	while (ops == &sigqueue_ops && !atomic_load(&((struct wake_chan *)ch.priv)->pg->pid[CHAN_SERVER]))
		sched_yield();
	inject(&ch, f, pid);
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	chan_close(&ch);
	CHECK_MSG(WIFEXITED(st), "server status %d", st);
	return WEXITSTATUS(st);
}

static void case_stray(void)
{
	const struct transport_ops *ops = test_arg;
	bool counts = ops == &futex_ops || ops == &condvar_ops; /* the predicate is the count itself */
	double secs;
	int got;

	setup();
	got = one_receive(ops, FAULT_STRAY, &secs);
	test_context("%s, a stray wake-up", ops->name);
	CHECK_MSG(got == (counts ? 2 : 1), "server receive ended with %d (0 taken, 1 EPROTO, 2 ETIMEDOUT)", got);
	teardown();
}

static void case_lost(void)
{
	const struct transport_ops *ops = test_arg;
	double secs;

	if (ops == &futex_ops || ops == &condvar_ops)
		SKIP("%s waits on the count itself: a counted post cannot be lost", ops->name);
	/* sigqueue: the number, checked against the count of signals taken */
	setup();
	test_context("%s, a post counted and never rung", ops->name);
	CHECK_EQ_I64(one_receive(ops, FAULT_LOST, &secs), 1);
	teardown();
}

static void case_dead_peer(void)
{
	const struct transport_ops *ops = test_arg;
	double secs;

	setup();
	test_context("%s, nobody posts", ops->name);
	CHECK_EQ_I64(one_receive(ops, FAULT_NONE, &secs), 2);
	CHECK_MSG(secs >= 0.39 && secs < 5, "gave up after %.3f s (timeout 0.4 s)", secs);
	teardown();
}

/* What names the transport left: /dev/shm/sem.<tag>* and SysV sets created with the run's keys. */
static int count_leftovers(const char *tag, const char *ledger_copy)
{
	char path[300];
	struct ledger l;
	int n = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/dev/shm/sem.%s-%s", tag, i ? "s2c" : "c2s");
		n += access(path, F_OK) == 0;
	}
	snprintf(path, sizeof(path), "/dev/shm/%s-wake", tag); /* the sequence page (wake.h) */
	n += access(path, F_OK) == 0;
	ledger_parse(ledger_copy, strlen(ledger_copy), &l);
	for (size_t i = 0; i < l.n; i++)
		if (l.e[i].kind == LEDGER_SYSV_SEM)
			n += semget((key_t)l.e[i].key, 0, 0) >= 0;
	return n;
}

/* In a child: a run directory, the channel made, then death without destroy.  Writes tag and ledger. */
static void crash_child(const struct transport_ops *ops, int out)
{
	struct chan ch = {.ops = ops, .timeout_ms = 400};
	char dir[4096], tag[64], path[4200], buf[2048] = "";
	ssize_t n = 0;
	int fd;

	if (rundir_create(dir, sizeof(dir)))
		_exit(1);
	rundir_new_tag(tag, sizeof(tag));
	ch.run_dir = dir;
	ch.tag = tag;
	if (chan_probe(&ch, ops) || chan_open(&ch, ops))
		_exit(2);
	if (!chan_ledger_path(&ch, path, sizeof(path)) && (fd = open(path, O_RDONLY)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	dprintf(out, "%s\n%.*s", tag, n > 0 ? (int)n : 0, buf);
	_exit(0); /* no chan_close: the objects stay, as after a SIGKILL */
}

static void case_crash(void)
{
	const struct transport_ops *ops = test_arg;
	char tmp[] = "/tmp/ipcbench-test-wake-XXXXXX", buf[4096] = "", *nl;
	struct cleanup_stats st = {0};
	int p[2], status;
	ssize_t n;
	pid_t pid;

	CHECK(mkdtemp(tmp) != NULL);
	CHECK_OK(setenv("TMPDIR", tmp, 1)); /* this test's runs only */
	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		crash_child(ops, p[1]);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	waitpid(pid, &status, 0);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0, "crashing child: status %d", status);
	nl = strchr(buf, '\n');
	CHECK(nl != NULL);
	*nl = 0;
	test_context("%s, made by a process that died (tag %s)", ops->name, buf);
	/* two names, or one set, and the page */
	CHECK_EQ_I64(count_leftovers(buf, nl + 1), ops == &sem_posix_ops ? 3 : ops == &sem_sysv_ops ? 2 : 1);
	CHECK_OK(cleanup_dead_runs(false, &st, NULL, NULL));
	CHECK_EQ_U64(st.runs, 1);
	CHECK_EQ_U64(st.objects, ops == &sem_posix_ops ? 3 : ops == &sem_sysv_ops ? 2 : 1);
	CHECK_EQ_I64(count_leftovers(buf, nl + 1), 0);
	CHECK_OK(rmdir(tmp)); /* the run directory went too */
}

static const struct {
	const char *name;
	void (*fn)(void);
	int timeout_s;
} kinds[] = {
	{"roundtrip", case_roundtrip, 60}, {"sizes", case_sizes, 10},	      {"stray", case_stray, 10},
	{"lost", case_lost, 10},	   {"dead_peer", case_dead_peer, 10}, {"crash", case_crash, 10},
};

int main(int argc, char **argv)
{
	const struct transport_ops *const prims[] = {&sem_posix_ops, &sem_sysv_ops, &futex_ops, &condvar_ops,
						     &sigqueue_ops};
	size_t nk = ARRAY_SIZE(kinds), np = ARRAY_SIZE(prims), n = 0;
	struct test_case *cases = calloc(np * nk, sizeof(*cases));
	int rc;

	for (size_t t = 0; t < np; t++) {
		for (size_t k = 0; k < nk; k++) {
			char *name;

			if (asprintf(&name, "%s/%s", prims[t]->name, kinds[k].name) < 0)
				return 2;
			cases[n++] = (struct test_case){name, kinds[k].fn, kinds[k].timeout_s, prims[t]};
		}
	}
	rc = test_main(argc, argv, cases, n);
	for (size_t i = 0; i < n; i++)
		free((char *)cases[i].name);
	free(cases);
	return rc;
}
