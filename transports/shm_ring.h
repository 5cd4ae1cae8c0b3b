/*
 * shm_ring.h - what shm_ring.c and its fan-in (shm_fan.c) share: the
 * channel's private state and the fan-in segment's layout (internal to
 * transports/; shm_ring.c's and shm_fan.c's opening comments say how it
 * works).
 */
#ifndef IPCBENCH_SHM_RING_H
#define IPCBENCH_SHM_RING_H

#include "transports/ring.h"

/*
 * The start of a fan-in segment: the server's doorbell, a futex word every
 * client rings when it publishes into a ring the server sleeps for; the
 * client regions follow, region i at hdr_bytes + i * stride.
 */
struct shm_fan_hdr {
	_Alignas(RING_LINE) _Atomic uint32_t bell;
	uint32_t n;
	uint64_t hdr_bytes, stride;
};

struct shm_fan_srv; /* the server's view of every ring: its own process only */

struct shm_ring_priv {
	struct ring_chan rc;	 /* first: ring.c casts priv to it (fan-in: this client's ring) */
	char name[128];		 /* the POSIX name while it exists */
	struct shm_fan_hdr *fan; /* fan-in (ch->nclients): the whole segment, else NULL */
	size_t fan_bytes;
	struct shm_fan_srv *srv; /* fan-in, in the server after attach */
};

/* shm_ring.c: the semaphore doorbell in the region, for the fan's own doorbell to fall back on. */
int shm_ring_sem_post(struct chan *ch, enum ring_dir dir, enum ring_sem sem);
int shm_ring_sem_wait(struct chan *ch, enum ring_dir dir, enum ring_sem sem, int ms);
/*
 * shm_ring.c, also for futex_ring's named region: makes, notes (ledger)
 * and maps the segment "/<tag>-ring" of bytes (the name stays for the
 * client's attach or destroy); maps it by that name in a process that
 * did not make it (a regular object of ours of exactly rc.map_bytes);
 * and adopt(): forgets the creator's mapping, taking this process's
 * address of the doorbell.
 */
int shm_ring_map_region(struct chan *ch, size_t bytes, void **mem);
int shm_ring_map_by_name(struct chan *ch);
void shm_ring_adopt_wake(struct chan *ch, const struct ring_wake_ops *wake);

/* shm_fan.c: create, attach, detach and destroy of a fan-in channel; recv_any and send_to. */
int shm_fan_create(struct chan *ch, uint64_t spin_ns);
int shm_fan_attach(struct chan *ch, enum chan_role role);
void shm_fan_detach(struct chan *ch);
void shm_fan_destroy(struct chan *ch);
int shm_fan_recv_any(struct chan *ch, void *buf, size_t len, unsigned int *client);
int shm_fan_send_to(struct chan *ch, unsigned int client, const void *buf, size_t len);

#endif
