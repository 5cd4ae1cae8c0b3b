/*
 * peer_map.c - the page a cell's sides share with the parent (struct
 * ctl, the histogram counts, the interval snapshots): an anonymous
 * mapping for forked sides, a file <tag>.ctl in the run directory that
 * exec'd sides (and a server its client starts) map by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/side.h"

size_t side_counts_bytes(void)
{
	return hist_counts_bytes(HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
}

size_t side_ctl_bytes(void)
{
	return (sizeof(struct ctl) + 4095) & ~(size_t)4095;
}

static size_t snaps_bytes(void)
{
	return (size_t)HARNESS_MAX_INTERVALS * side_counts_bytes();
}

bool side_ctl_by_name(const struct cell_config *cfg)
{
	return cfg->peers == PEERS_EXEC || (cfg->ops->flags & TRANSPORT_CLIENT_STARTS_SERVER);
}

size_t side_map_bytes(const struct cell_config *cfg)
{
	return side_ctl_bytes() + side_counts_bytes() + (side_ctl_by_name(cfg) && cfg->interval_ns ? snaps_bytes() : 0);
}

int side_maps_open(const struct cell_config *cfg, const char *tag, struct cell_maps *m)
{
	int fd = -1, flags = MAP_SHARED | MAP_ANONYMOUS;

	m->map_bytes = side_map_bytes(cfg);
	if (side_ctl_by_name(cfg)) {
		if ((size_t)snprintf(m->path, sizeof(m->path), "%s/%s.ctl", cfg->run_dir, tag) >= sizeof(m->path))
			return -ENAMETOOLONG;
		fd = open(m->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)m->map_bytes) < 0) {
			int e = -errno;

			if (fd >= 0)
				close(fd);
			return e;
		}
		flags = MAP_SHARED;
	}
	m->ctl = mmap(NULL, m->map_bytes, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	if (m->ctl == MAP_FAILED) {
		m->ctl = NULL;
		return -errno;
	}
	/* what the sides read before either runs */
	atomic_store(&m->ctl->total, cfg->iterations ? cfg->warmup + cfg->iterations : UINT64_MAX);
	atomic_store(&m->ctl->prec.warmup_end, cfg->warmup);
	if (!cfg->interval_ns)
		return 0;
	if (side_ctl_by_name(cfg)) {
		m->snaps = (uint8_t *)m->ctl + side_ctl_bytes() + side_counts_bytes();
		return 0;
	}
	/* reserved, not committed: only the intervals used are ever touched */
	m->snaps = mmap(NULL, snaps_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->snaps == MAP_FAILED) {
		m->snaps = NULL;
		return -errno;
	}
	m->snaps_own = true;
	return 0;
}

void side_maps_close(struct cell_maps *m)
{
	if (m->snaps_own)
		munmap(m->snaps, snaps_bytes());
	if (m->ctl)
		munmap(m->ctl, m->map_bytes);
	if (m->path[0])
		unlink(m->path);
	if (m->params[0])
		unlink(m->params);
}
