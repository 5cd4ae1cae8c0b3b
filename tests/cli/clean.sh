#!/bin/sh
# `ipcbench clean` knows its own: liveness from the lock a run holds (not
# from a process name), SysV objects by the key the run picked (not by an
# id the kernel reuses), ledger entries written before the object exists,
# no "remove" for what had already gone, and dead writers' temp files.
# Each test runs with its own TMPDIR; the SysV ones in a private IPC
# namespace (unshare --ipc) so other programs' objects cannot interfere.
. "$(dirname "$0")/lib.sh"

# a pid that existed and has exited
dead_pid() {
	sh -c 'echo $$'
}

need_ipc_ns() {
	unshare --ipc true 2>/dev/null || skip "cannot make an IPC namespace here (unshare --ipc)"
}

t_renamed_binary_live_run_survives_clean() {
	export TMPDIR="$T"
	cp "$IPCBENCH" "$T/slow-bench"
	"$T/slow-bench" run -t fifo -s 64 -d 3s --cpus 0,0 --no-calibrate -q -o "$T/r.json" &
	pid=$!
	i=0
	while [ -z "$(ls -d "$T"/ipcbench-$pid-* 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	expect_exit 0 "$IPCBENCH" clean
	ls -d "$T"/ipcbench-$pid-* >/dev/null 2>&1 || { kill $pid; fail "clean removed a live renamed run's directory"; }
	grep -q "cleaned 0 dead runs" "$T/out" || fail "clean said: $(cat "$T/out")"
	wait $pid
	[ $? -eq 0 ] || fail "the live run failed"
}

t_private_dir_without_marker_is_not_touched() {
	export TMPDIR="$T"
	p=$(dead_pid)
	mkdir -m 0700 "$T/ipcbench-$p-lookalike"
	echo data >"$T/ipcbench-$p-lookalike/keep"
	expect_exit 0 "$IPCBENCH" clean
	[ -f "$T/ipcbench-$p-lookalike/keep" ] || fail "clean removed a directory ipcbench never marked"
	rm -r "$T/ipcbench-$p-lookalike"
}

# A dead run's queue is gone (a reboot with a persistent /tmp, a manual
# ipcrm); another program's queue then gets the same id: it must survive.
t_reused_sysv_id_survives_clean() {
	need_ipc_ns
	[ -w /proc/sys/kernel/msg_next_id ] || skip "kernel.msg_next_id not writable"
	cat >"$T/inner.sh" <<'EOS'
export TMPDIR="$T"
"$IPCBENCH" run -t sysv_mq -s 64 -d 5s --cpus 0,0 --no-calibrate -q -o "$T/r.json" &
pid=$!
i=0
while [ -z "$(ipcs -q | awk '$2 ~ /^[0-9]+$/')" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
kill -KILL $pid; wait $pid 2>/dev/null; sleep 0.3
id=$(ipcs -q | awk '$2 ~ /^[0-9]+$/ {print $2}' | head -n 1)
[ -n "$id" ] || { echo "no queue to reuse"; exit 3; }
for q in $(ipcs -q | awk '$2 ~ /^[0-9]+$/ {print $2}'); do ipcrm -q "$q"; done
echo "$id" >/proc/sys/kernel/msg_next_id
qid=$(ipcmk -Q | grep -oE '[0-9]+$')
[ "$qid" = "$id" ] || { echo "ipcmk got id $qid, not $id"; exit 3; }
"$IPCBENCH" clean -v >"$T/out" 2>&1 || exit 4
cat "$T/out"
ipcs -q | awk '{print $2}' | grep -qx "$qid" || { echo "clean removed another program's queue $qid"; exit 1; }
ipcrm -q "$qid"
exit 0
EOS
	T="$T" IPCBENCH="$IPCBENCH" unshare --ipc sh "$T/inner.sh" >"$T/log" 2>&1
	rc=$?
	[ $rc -eq 3 ] && skip "$(tail -n 1 "$T/log")"
	[ $rc -eq 0 ] || fail "$(tail -n 3 "$T/log")"
	grep -q "cleaned 1 dead run" "$T/log" || fail "clean said: $(cat "$T/log")"
}

# The shim SIGKILLs ipcbench right after the call that creates an object
# returns, before anything else can run: only a ledger written first lets
# clean find what it made.
build_kill_shim() {
	cat >"$T/shim.c" <<'EOS'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ipc.h>
#include <sys/types.h>
#include <unistd.h>

static void die(int made) { if (made >= 0) kill(getpid(), SIGKILL); }
int msgget(key_t k, int f) { int (*r)(key_t, int) = dlsym(RTLD_NEXT, "msgget"); int id = r(k, f); if (f & IPC_CREAT) die(id); return id; }
int shmget(key_t k, size_t n, int f) { int (*r)(key_t, size_t, int) = dlsym(RTLD_NEXT, "shmget"); int id = r(k, n, f); if (f & IPC_CREAT) die(id); return id; }
int shm_open(const char *n, int o, mode_t m) { int (*r)(const char *, int, mode_t) = dlsym(RTLD_NEXT, "shm_open"); int fd = r(n, o, m); if (o & O_CREAT) die(fd); return fd; }
mqd_t mq_open(const char *n, int o, ...)
{
	mqd_t (*r)(const char *, int, ...) = dlsym(RTLD_NEXT, "mq_open");
	va_list ap; mode_t m = 0; struct mq_attr *a = NULL; mqd_t q;
	if (!(o & O_CREAT)) return r(n, o);
	va_start(ap, o); m = va_arg(ap, mode_t); a = va_arg(ap, struct mq_attr *); va_end(ap);
	q = r(n, o, m, a);
	die((int)q);
	return q;
}
EOS
	cc -shared -fPIC -o "$T/shim.so" "$T/shim.c" -ldl 2>"$T/cc.err" || skip "cannot build the shim: $(head -c 200 "$T/cc.err")"
}

t_sigkill_right_after_sysv_create_leaks_nothing() {
	need_ipc_ns
	build_kill_shim
	cat >"$T/inner.sh" <<'EOS'
export TMPDIR="$T"
for t in sysv_mq sysv_shm; do
	ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$T/shim.so" \
		"$IPCBENCH" run -t $t -s 64 -n 100 --cpus 0,0 --no-calibrate -q -o "$T/r.json" 2>/dev/null
	rc=$?
	[ $rc -eq 137 ] || { echo "$t: exit $rc, expected 137 (SIGKILL)"; exit 1; }
	[ -n "$(ipcs -a | awk '$2 ~ /^[0-9]+$/')" ] || { echo "$t: the killed run made nothing"; exit 1; }
	"$IPCBENCH" clean -v || exit 1
	left=$(ipcs -a | awk '$2 ~ /^[0-9]+$/')
	[ -z "$left" ] || { echo "$t: clean left $left"; ipcs -a | awk '$2 ~ /^[0-9]+$/ {print $2}' |
		while read id; do ipcrm -q $id 2>/dev/null || ipcrm -m $id 2>/dev/null; done; exit 1; }
done
exit 0
EOS
	T="$T" IPCBENCH="$IPCBENCH" unshare --ipc sh "$T/inner.sh" >"$T/log" 2>&1 || fail "$(tail -n 3 "$T/log")"
}

t_sigkill_right_after_posix_create_leaks_nothing() {
	export TMPDIR="$T"
	build_kill_shim
	mq=/dev/mqueue
	if [ ! -d /dev/mqueue ]; then
		# no mqueue file system mounted: a private view of this IPC namespace's queues
		mkdir "$T/mq"
		mount -t mqueue none "$T/mq" 2>/dev/null || skip "cannot see POSIX queues (no /dev/mqueue, no mount)"
		mq="$T/mq"
	fi
	for t in posix_mq shm_ring; do
		ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$T/shim.so" \
			"$IPCBENCH" run -t $t -s 64 -n 100 --cpus 0,0 --no-calibrate -q -o "$T/r.json" 2>/dev/null &
		pid=$!
		wait $pid
		rc=$?
		[ $rc -eq 137 ] || fail "$t: exit $rc, expected 137 (SIGKILL)"
		names="$(ls /dev/shm "$mq" 2>/dev/null | grep "ipcbench-$pid-")"
		[ -n "$names" ] || { [ "$mq" = /dev/mqueue ] || umount "$mq"; fail "$t: the killed run made nothing"; }
		"$IPCBENCH" clean -v >"$T/out" 2>&1
		left="$(ls /dev/shm "$mq" 2>/dev/null | grep "ipcbench-$pid-")"
		[ -z "$left" ] || { [ "$mq" = /dev/mqueue ] || umount "$mq"; fail "$t: clean left $left"; }
	done
	[ "$mq" = /dev/mqueue ] || umount "$mq"
}

# posix_mq unlinks its names inside create(): a run killed later leaves a
# ledger whose objects are all gone, and clean -v must not claim to remove them.
t_verbose_does_not_report_objects_already_gone() {
	export TMPDIR="$T"
	"$IPCBENCH" run -t posix_mq -s 64 -d 5s --cpus 0,0 --no-calibrate -q -o "$T/r.json" &
	pid=$!
	i=0
	while [ -z "$(ls "$T"/ipcbench-$pid-*/*.ledger 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	kill -KILL $pid
	wait $pid 2>/dev/null
	sleep 0.3
	[ -n "$(ls "$T"/ipcbench-$pid-*/*.ledger 2>/dev/null)" ] || fail "the killed run left no ledger"
	expect_exit 0 "$IPCBENCH" clean -v
	grep -q "cleaned 1 dead run" "$T/out" || fail "clean said: $(cat "$T/out")"
	! grep -q "posix_mq" "$T/out" || fail "clean -v reported objects that had already gone: $(cat "$T/out")"
	grep -q "0 kernel objects" "$T/out" || fail "clean counted objects that had already gone: $(cat "$T/out")"
}

t_dead_writers_temp_files_are_removed() {
	export TMPDIR="$T"
	mkdir "$T/work"
	p=$(dead_pid)
	dead=".r.json.ipcbench-tmp-$p-0123456789abcdef"
	live=".r.json.ipcbench-tmp-$$-0123456789abcdef"
	for d in "$T" "$T/work"; do
		echo partial >"$d/$dead"
		echo partial >"$d/$live"
	done
	echo mine >"$T/work/.notes.ipcbench-tmp-x"
	(cd "$T/work" && "$IPCBENCH" clean -v) >"$T/out" 2>&1 || fail "clean failed: $(cat "$T/out")"
	for d in "$T" "$T/work"; do
		[ ! -e "$d/$dead" ] || fail "clean left a dead writer's temp file in $d: $(cat "$T/out")"
		[ -e "$d/$live" ] || fail "clean removed a live writer's temp file in $d"
	done
	[ -e "$T/work/.notes.ipcbench-tmp-x" ] || fail "clean removed a file that is not ipcbench's"
}

run_tests
