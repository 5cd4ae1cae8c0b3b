/*
 * ring.h - the single-producer single-consumer byte rings behind every
 * shared-memory transport: eventfd, signal, shm_ring, shm_spin,
 * sysv_shm, futex_ring and uring (internal to transports/; not a
 * transport itself).
 *
 * A region of shared memory holds two rings, one per direction, and a
 * little bookkeeping.  The transports only differ in where the region
 * comes from (anonymous shared memory inherited through fork, POSIX shm
 * or a System V segment) and in their doorbell, how a sleeping side is
 * woken (an eventfd, a real-time signal, POSIX semaphores in the region,
 * a System V semaphore set, a bare futex word, an io_uring MSG_RING),
 * which they pass in as struct ring_wake_ops.
 *
 * Layout of one direction (struct ring_ctl), each index on its own 64-byte
 * line so the producer and the consumer never write the same line:
 *
 *	head          bytes ever written; written by the producer only
 *	tail          bytes ever read; written by the consumer only
 *	data_wanted   0, or the head the sleeping consumer waits for
 *	space_wanted  0, or the tail the sleeping producer waits for
 *
 * The data area is a power of two of bytes; byte i of the stream lives at
 * i & (cap - 1).  Indices are 64-bit and never wrap in practice.
 *
 * Slot rings (shm_spin, messages of up to RING_SPIN_SLOT_MSG): the data area
 * is an array of 64-byte slots, each holding up to 56 bytes and, in the
 * same line, the word that publishes them (the slot's number, the length
 * and an acknowledgement, below).  The reader polls that word, so a small
 * message costs one cache line each way instead of a data line and the
 * head line; head is not used.  Indices count slots.  A write larger than
 * a slot fills several: all but the last published with a plain release
 * store, so the writer's stores to the lines overlap, and the last with the
 * exchange the wake protocol needs (before waiting for space mid-write, the
 * writer fences and checks for a sleeping reader).  Slots are for messages
 * of up to RING_SPIN_SLOT_MSG (224 bytes); measured across CPUs
 * 0,1, round trips of 128 and 224 bytes took 190-200 and 210-240 ns in
 * slots against 220-240 and 240-270 ns in the byte ring, 64 bytes about the
 * same (160-190 ns), and streaming was no slower.  A read may take part of
 * a slot; the stream is still a byte stream.
 *
 * Freeing slots: the reader publishes tail after every half ring it has
 * read, for a writer that streams one way.  Besides, every slot a side
 * writes carries how many slots it had read from the other direction, so
 * in a ping-pong each reply tells the writer its messages were read and
 * the writer never reads the tail line.  Measured with 8-byte messages
 * across CPUs 0,1 (cache-line floor 110 ns): a direct driver of shm_spin
 * took 130-160 ns when the reader published tail before each wait and the
 * writer re-read it every 8 messages, 110 ns with no flow control at all
 * (unsafe), and 120 ns with the acknowledgements.
 *
 * How many slots: shm_spin keeps RING_SPIN_SLOTS (8) messages in flight
 * per direction (8 slots for one-slot messages).  A writer that wraps
 * through more lines keeps writing lines that have left its cache: a bare
 * slot ping-pong measured 120 ns with 2-8 slots against 170-180 ns with
 * 16-64 (a one-line ping-pong: 110 ns).
 *
 * shm_ring and sysv_shm keep the byte ring at every size.  Their
 * ping-pong is a futex wake-up (tens of microseconds here), which one
 * cache line more or less does not change, while slots cost streaming a
 * whole line per message where the byte ring packs eight 8-byte messages
 * in one: shm_ring streamed 8-byte messages at 3.5-4 million per second in
 * 64 slots against up to 13 million in the byte ring.
 *
 * Sizing (measured on the 2-CPU VM this was written on): the ring is four
 * times the message, rounded up to a power of two, between RING_CAP_MIN and
 * RING_CAP_MAX per direction.  Small rings keep a small-message ping-pong
 * in L1: with 64 KiB rings every 64-byte message touched a fresh line and a
 * round trip cost 30% more than with 4 KiB.  Large ones let the writer run
 * messages ahead, so the reader copies lines that have left the writer's
 * private L2.  Data moves in pieces of cap / 4, at most RING_PIECE_MAX: the
 * writer publishes head after each piece and the reader copies what is
 * there, so a message larger than the ring streams through it and a large
 * message in a ping-pong is copied out while it is still being copied in.
 * The piece size trades one for the other; streaming 1 MiB messages through
 * a 4 MiB ring reached 70%, 93% and 110% of the bare two-slot copy floor
 * with 256 KiB, 512 KiB and 1 MiB pieces, while a 1 MiB ping-pong round trip
 * grew from 72 to 75 and 98 us (shm_spin).
 *
 * Wake protocol (both directions are the same; "waiter" is the consumer
 * waiting for data or the producer waiting for space):
 *
 *	waiter:     wanted = W (seq_cst); reload index; if index >= W: return,
 *	            else sleep on the semaphore
 *	publisher:  index = new (atomic exchange, a full barrier); load
 *	            wanted; if wanted && new >= wanted && CAS(wanted, 0): post
 *
 * The seq_cst store/load pairs are Dekker's: either the publisher sees the
 * waiter's W or the waiter sees the new index, so a wake-up is never lost,
 * and a side posts only when its peer really sleeps (a semaphore post is a
 * system call for System V).  W asks for min(rest, piece) bytes, so a
 * large message wakes its reader once per piece, not once per byte; since
 * a piece is at most cap / 4, a reader waiting for data and a writer
 * waiting for space cannot both sleep.  A waiter that finds its condition
 * true after setting W takes W back with a CAS; if the publisher's CAS won,
 * a post is on its way and the waiter consumes it.  Without that, posts
 * piled up whenever a streaming reader kept finding data just after
 * setting W: sysv_shm streaming 8-byte messages failed with ERANGE
 * (semaphore past SEMVMX) after about 1.5 million messages.  A post can
 * still be left over after a wait timed out (every wait is a loop that
 * re-checks the ring, so it costs one extra turn, and it cannot recur).
 * (Posting after every publish instead was measured: no faster in a
 * ping-pong, where the peer always sleeps, half the throughput when
 * streaming 1 MiB, and for System V it overflows SEMVMX, 32767, as soon as
 * the reader falls that many posts behind.)
 *
 * Ordering traps: the data must be copied before the index that publishes
 * it (release), and read after the index that announces it (acquire);
 * the producer must not overwrite bytes before it has seen (acquire) the
 * tail that frees them.
 *
 * Spin-then-block (shm_spin): a waiter first polls with a pause for up to
 * spin_ns (a slot reader polls RING_SPIN_FAST times in a tight loop before
 * it starts timing), then calls sched_yield() for up to RING_YIELD_NS, then
 * sleeps as above.  When both sides are pinned to one CPU (ch->peer_same_cpu) the
 * spin is skipped (the peer cannot run while we spin: each round trip would
 * cost a scheduler tick), so the CPU is handed over by sched_yield().
 *
 * A dead peer: each side holds a robust, process-shared mutex while
 * attached; a sleeping side wakes every RING_SLICE_MS and, finding its
 * peer's mutex owner-dead (or the peer marked gone by detach), fails with
 * -EPIPE once the ring holds nothing more for it.  A wait longer than
 * ch->timeout_ms fails with -ETIMEDOUT.
 *
 * The futex doorbell (ring_futex_wake, futex_ring): one 32-bit word per
 * (direction, condition) on its own line in the region.  post: add one to
 * the word, FUTEX_WAKE.  wait: read the word, then give up at once if the
 * wanted word is already 0 (the publisher took W: its post is done or on
 * the way) or the peer has marked itself gone; else FUTEX_WAIT for the
 * value read, without a timeout.  The publisher changes the word after
 * its CAS of wanted, and detach after its store of the gone state, so a
 * waiter that saw W (or no gone state) after reading the word always
 * finds the word changed or is queued before the wake: no lost wake-up.
 * No timeout, because a timed FUTEX_WAIT arms an hrtimer each time (a
 * one-CPU futex ping-pong here: about 4.9 us untimed, 5.7 us with a
 * 100 ms timeout).  The slices the ring relies on (peer checks, the
 * deadline) come instead from a helper thread per side (ring_futex_watch):
 * every RING_SLICE_MS it looks whether its side has been in the same
 * wait since its last look and, if so, rings that side's own word, so a
 * wait still ends within one to two slices and the ring re-checks the
 * peer and ch->timeout_ms as with every other doorbell.  The helper costs
 * nothing per message: the waiter only bumps a counter in its own memory.
 */
#ifndef IPCBENCH_RING_H
#define IPCBENCH_RING_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "transports/chan_util.h"

#define RING_LINE 64
#define RING_CAP_MIN ((size_t)4 << 10)		/* per direction: 4 x the message, 4 KiB.. */
#define RING_CAP_MAX ((size_t)4 << 20)		/* ..4 MiB (larger messages stream through) */
#define RING_PIECE_MAX ((size_t)512 << 10)	/* copy and publish in pieces of cap / 4, at most this */
#define RING_SLOT_DATA (RING_LINE - 8)		/* slot rings: payload bytes per slot line */
#define RING_SPIN_SLOTS 8			/* shm_spin: messages in flight per direction (a power of two) */
#define RING_SPIN_SLOT_MSG (4 * RING_SLOT_DATA) /* shm_spin: messages up to this size go in slots */
#define RING_SPIN_FAST 256			/* shm_spin: polls of a slot before the timed spin */
#define RING_SPIN_NS 50000			/* shm_spin: busy-poll this long, then yield */
#define RING_YIELD_NS 1000000			/* then sched_yield() this long, then sleep */
#define RING_SLICE_MS 100			/* a sleeper checks its peer this often */

enum ring_dir { RING_C2S, RING_S2C };
enum ring_sem { RING_SEM_DATA, RING_SEM_SPACE };

/* One direction's control lines, in shared memory. */
struct ring_ctl {
	_Alignas(RING_LINE) _Atomic uint64_t head;
	_Alignas(RING_LINE) _Atomic uint64_t tail;
	_Alignas(RING_LINE) _Atomic uint64_t data_wanted;
	_Alignas(RING_LINE) _Atomic uint64_t space_wanted;
};

/*
 * One line of a slot ring: the payload and, in the same line, the word
 * that publishes it: (length << 32) | (uint32_t)(message number + 1).
 */
struct ring_slot {
	_Alignas(RING_LINE) _Atomic uint64_t word;
	uint8_t bytes[RING_SLOT_DATA];
};

enum ring_peer_state { RING_PEER_NONE, RING_PEER_ATTACHED, RING_PEER_GONE };

/* One side's liveness, in shared memory. */
struct ring_peer {
	_Alignas(RING_LINE) pthread_mutex_t alive; /* robust: held while attached */
	_Atomic int state;			   /* enum ring_peer_state */
	_Atomic pid_t pid;			   /* stored by attach, before state (a doorbell may need it) */
};

/* A futex doorbell word, on its own line. */
struct ring_bell {
	_Alignas(RING_LINE) _Atomic uint32_t seq;
};

/* The start of the shared region; the two data areas follow at data_off. */
struct ring_region {
	struct ring_ctl dir[2];		     /* [RING_C2S], [RING_S2C] */
	struct ring_peer peer[2];	     /* [CHAN_CLIENT], [CHAN_SERVER] */
	_Alignas(RING_LINE) sem_t sem[2][2]; /* [dir][enum ring_sem]: POSIX wake-up only */
	uint64_t cap;
	uint64_t nslots; /* 0: byte rings; else slot rings of nslots lines each */
	uint64_t data_off[2];
	struct ring_bell bell[2][2]; /* [dir][enum ring_sem]: the futex doorbell only */
};

/* This process's view of one direction. */
struct ring_end {
	struct ring_ctl *c;
	uint8_t *data;
	uint64_t cap;
	uint64_t piece; /* the largest piece copied or waited for: cap / 4 at most */
	uint64_t pos;	/* our own index (head when sending, tail when receiving) */
	uint64_t seen;	/* the peer's index as last read */
	enum ring_dir dir;
	/* slot rings only (pos and seen then count slots) */
	struct ring_slot *slot; /* the data area as slots */
	uint64_t nslots;	/* 0: a byte ring */
	uint32_t slot_len;	/* receiving: bytes in the current slot, 0: none taken yet */
	uint32_t slot_off;	/* receiving: bytes of it already read */
	uint64_t freed;		/* receiving: the tail last published */
};

/*
 * The doorbell: how a sleeping side is woken.  post() wakes whoever sleeps
 * on (dir, sem), which is always the caller's peer; wait() sleeps on it for
 * at most ms milliseconds (ms > 0) and returns 0 when posted (or woken
 * for any reason: the caller re-checks the ring), -ETIMEDOUT when the time
 * ran out (not recorded), or -errno (recorded with chan_fail).  A post
 * may outlive its wait (after a timeout) and wake the next one early.
 * Both are only called on the slow path.
 */
struct ring_wake_ops {
	int (*post)(struct chan *ch, enum ring_dir dir, enum ring_sem sem);
	int (*wait)(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms);
};

/* The futex doorbell's helper thread, per process (ring.c). */
struct ring_futex_watch {
	pthread_t thread;
	bool running;
	_Atomic uint32_t stop;	   /* 1: the helper exits (a private futex) */
	_Atomic uint64_t waits;	   /* odd while this side sleeps in FUTEX_WAIT */
	_Atomic unsigned int bell; /* which word it sleeps on: dir * 2 + sem */
	_Atomic uint64_t pokes;	   /* how often the helper ended a wait (tests: a live peer never needs it) */
};

/*
 * The start of every ring transport's priv.  Written by create() in the
 * parent (inherited by both children) and by attach() in each child.
 */
struct ring_chan {
	struct ring_region *rg; /* NULL: nothing mapped */
	size_t map_bytes;
	const struct ring_wake_ops *wake;
	uint64_t spin_ns; /* 0: sleep as soon as the ring is empty/full */
	bool attached;	  /* this process holds rg->peer[role].alive */
	enum chan_role role;
	struct ring_end tx, rx;
	struct ring_futex_watch fw; /* the futex doorbell only */
};

/*
 * The capacity of each direction for messages of msg_bytes, so that the
 * region (ring_region_bytes) fits in max_bytes (0: no limit).
 */
size_t ring_capacity(size_t msg_bytes, size_t max_bytes);
/* Bytes of a region with two rings of cap bytes (page-rounded). */
size_t ring_region_bytes(size_t cap);
/*
 * Lays out a zeroed region at mem (map_bytes long) for two rings of cap
 * bytes: indices, robust mutexes and, when posix_sems, the semaphores.
 */
int ring_region_init(struct chan *ch, void *mem, size_t map_bytes, size_t cap, bool posix_sems);
/*
 * For doorbells outside the region (eventfd, signal): maps anonymous
 * shared memory for msg_bytes, which the children inherit through fork
 * (nothing has a name, nothing outlives the processes), and lays it out.
 * ring_unmap_anon() is ring_detach() and munmap: idempotent.
 */
int ring_map_anon(struct chan *ch, const struct ring_wake_ops *wake);
void ring_unmap_anon(struct chan *ch);
/*
 * The futex doorbell (see above).  ring_futex_watch_start() in attach,
 * after ring_attach(); ring_futex_watch_stop() in detach and destroy,
 * before ring_detach(): idempotent, safe on a zeroed ring_chan.
 */
extern const struct ring_wake_ops ring_futex_wake;
int ring_futex_watch_start(struct chan *ch);
void ring_futex_watch_stop(struct chan *ch);

/* The pid the peer stored at attach, 0 before. */
pid_t ring_peer_pid(const struct ring_chan *rc);

/*
 * The shared hooks.  ring_detach() marks this side gone, wakes the peer
 * and lets go of the robust mutex; destroy() calls it too (a process that
 * attached and destroys without detaching must not unmap a mutex it holds)
 * before unmapping the region its own way.  Idempotent, safe on a zeroed
 * ring_chan.
 */
int ring_attach(struct chan *ch, enum chan_role role);
/*
 * For a consumer that watches several rings at once (shm_ring's fan-in
 * server, shm_fan.c): whether rc's receiving ring holds a byte (or a
 * slot) not read yet; announcing and taking back that it sleeps for one
 * (data_wanted, the waiter's half of the wake protocol, so the producer's
 * publish posts its doorbell); and whether the peer has gone, with
 * `thorough` also a peer that died holding its robust mutex (a locked
 * instruction: after a slice that found nothing, not on every turn).
 */
bool ring_rx_ready(struct ring_chan *rc);
void ring_rx_want(struct ring_chan *rc);
void ring_rx_unwant(struct ring_chan *rc);
bool ring_peer_left(struct ring_chan *rc, bool thorough);
void ring_detach(struct chan *ch);
int ring_send(struct chan *ch, const void *buf, size_t len);
int ring_recv(struct chan *ch, void *buf, size_t len);

#endif
