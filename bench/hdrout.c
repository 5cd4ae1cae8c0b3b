/*
 * hdrout.c - writes .hgrm and .hlog files for `run` (see hdrout.h).
 */
#include "bench/hdrout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/hdr/hgrm.h"
#include "harness/hdr/hlog.h"

void hdrout_cell_name(const struct cell_config *cfg, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s_%s_%zuB_%s", cfg->ops->name, pattern_name(cfg->pattern), cfg->msg_bytes,
			 cfg->relation);

	if (cfg->client_cpu >= 0 && n > 0 && (size_t)n < outlen)
		n += snprintf(out + n, outlen - (size_t)n, "-%d-%d", cfg->client_cpu, cfg->server_cpu);
	if (n > 0 && (size_t)n < outlen)
		n += snprintf(out + n, outlen - (size_t)n, "_%s", wait_name(cfg->wait));
	if (cfg->pattern == PATTERN_RATE && n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "_%.0fps", cfg->rate_per_sec);
}

int hdrout_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK) < 0) {
		snprintf(err, errlen, "directory %s is not writable", dir);
		return -EACCES;
	}
	return 0;
}

int hdrout_write_hgrm(const char *dir, const struct report_cell *c, char *err, size_t errlen)
{
	char name[256], path[4096], tmp[4200];
	FILE *f;
	int fd, r;

	hdrout_cell_name(&c->cfg, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s.hgrm", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.hgrm.%d.tmp", dir, name, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "open %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	r = hist_write_hgrm(&c->res.latency, f, 5, 1.0, false);
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		snprintf(err, errlen, "writing %s: %s", path, strerror(-r));
	}
	return r;
}

int hdrout_append_hlog(const char *dir, const struct cell_config *cfg, const struct cell_result *res, char *err,
		       size_t errlen)
{
	char name[256], path[4096], comment[512];
	struct hlog_writer w = {0};
	struct stat st;
	double start_s = (double)res->start_realtime_ns / 1e9;
	bool fresh;
	FILE *f;
	int r = 0;

	hdrout_cell_name(cfg, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s.hlog", dir, name);
	fresh = lstat(path, &st) < 0;
	f = fopen(path, fresh ? "wx" : "a");
	if (!f) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	w.f = f;
	if (fresh) {
		snprintf(comment, sizeof(comment), "ipcbench %s, %s %zu-byte messages, latency in ns (%s)",
			 cfg->ops->name, pattern_name(cfg->pattern), cfg->msg_bytes,
			 cfg->pattern == PATTERN_PINGPONG ? "round trip" : "one way");
		r = hlog_writer_open(&w, f, start_s, comment);
	}
	/*
	 * Intervals are relative to the file's StartTime: for a later
	 * repetition, that is the first repetition's start.
	 */
	if (!r && !fresh) {
		struct hlog_reader rd;
		FILE *in = fopen(path, "re");

		if (in) {
			struct hlog_interval iv;
			char why[200];

			hlog_reader_init(&rd, in);
			while (hlog_read_next(&rd, &iv, why, sizeof(why)) == 1)
				hlog_interval_release(&iv);
			if (rd.has_start_time)
				start_s = (double)res->start_realtime_ns / 1e9 - rd.start_time_s;
			hlog_reader_release(&rd);
			fclose(in);
		}
	} else {
		start_s = 0;
	}
	for (size_t k = 0; !r && k < res->nintervals; k++)
		r = hlog_write_interval(&w, start_s + (double)res->interval_start_ns[k] / 1e9,
					(double)res->interval_len_ns[k] / 1e9, &res->intervals[k], NULL);
	if (!r)
		r = hlog_writer_finish(&w);
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (r)
		snprintf(err, errlen, "writing %s: %s", path, strerror(-r));
	return r;
}
