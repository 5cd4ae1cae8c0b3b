/*
 * hdrout.c - writes .hgrm and .hlog files for `run` (see hdrout.h).
 */
#include "harness/hdrout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "harness/hdr/hgrm.h"
#include "harness/hdr/hlog.h"

/*
 * The transport and its non-default options as a file name's first part:
 * "pipe:bufsize=65536" becomes "pipe+bufsize-65536" (':' and '=' are
 * awkward in shells and file managers; '+' and '-' are neither, and no
 * option name or value holds them).  Anything outside [a-z0-9_+-] would
 * be a '_', but a name, a key and a value never hold one.
 */
static void variant_file_part(const struct cell_config *cfg, char *out, size_t outlen)
{
	transport_variant_name(cfg->ops, &cfg->opts, false, out, outlen);
	for (char *p = out; *p; p++) {
		if (*p == ':')
			*p = '+';
		else if (*p == '=')
			*p = '-';
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '_';
	}
}

void hdrout_cell_name(const struct cell_config *cfg, char *out, size_t outlen)
{
	char variant[200];
	int n;

	variant_file_part(cfg, variant, sizeof(variant));
	n = snprintf(out, outlen, "%s_%s_%zuB_%s", variant, pattern_name(cfg->pattern), cfg->msg_bytes,
		     relation_name(cfg->relation));

	if (cfg->client_cpu >= 0 && n > 0 && (size_t)n < outlen)
		n += snprintf(out + n, outlen - (size_t)n, "-%d-%d", cfg->client_cpu, cfg->server_cpu);
	if (n > 0 && (size_t)n < outlen)
		n += snprintf(out + n, outlen - (size_t)n, "_%s", wait_name(cfg->wait));
	if (cfg->peers == PEERS_EXEC && n > 0 && (size_t)n < outlen) /* fork, the default, keeps older names */
		n += snprintf(out + n, outlen - (size_t)n, "_exec");
	if ((cfg->pairs || cfg->clients) && n > 0 && (size_t)n < outlen) /* as hist names the group */
		n += snprintf(out + n, outlen - (size_t)n, "_%s%u", cfg->pairs ? "pairs" : "clients",
			      cfg->pairs ? cfg->pairs : cfg->clients);
	if ((cfg->pattern == PATTERN_RATE || (cfg->pattern == PATTERN_UNDERLOAD && cfg->rate_per_sec > 0)) && n > 0 &&
	    (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "_%.0fps", cfg->rate_per_sec);
}

/* The directory dir is in ("." for a bare name), in out. */
static void parent_of(const char *dir, char *out, size_t outlen)
{
	size_t n = strlen(dir);
	const char *slash;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	snprintf(out, outlen, "%.*s", (int)n, dir);
	slash = strrchr(out, '/');
	if (!slash)
		snprintf(out, outlen, ".");
	else if (slash == out)
		out[1] = '\0';
	else
		out[slash - out] = '\0';
}

int hdrout_check_dir(const char *dir, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct stat st;

	if (!*dir) {
		snprintf(err, errlen, "an empty directory name");
		return -EINVAL;
	}
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		/* created by hdrout_make_dir, as plot -o creates its directory: one level */
		parent_of(dir, parent, sizeof(parent));
		if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "cannot create %s: %s is not a directory", dir, parent);
			return -ENOENT;
		}
		if (access(parent, W_OK) < 0) {
			snprintf(err, errlen, "cannot create %s: directory %s is not writable", dir, parent);
			return -EACCES;
		}
		return 0;
	}
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

int hdrout_make_dir(const char *dir, bool *created, char *err, size_t errlen)
{
	*created = false;
	if (mkdir(dir, 0777) == 0) {
		*created = true;
		return 0;
	}
	if (errno == EEXIST)
		return hdrout_check_dir(dir, err, errlen);
	snprintf(err, errlen, "cannot create the directory %s: %s", dir, strerror(errno));
	return -errno;
}

static int file_path(const char *dir, const struct cell_config *cfg, const char *ext, char *out, size_t outlen)
{
	char name[256];

	hdrout_cell_name(cfg, name, sizeof(name));
	if (snprintf(out, outlen, "%s/%s.%s", dir, name, ext) >= (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

int hdrout_hgrm_check(const char *dir, const struct cell_config *cfg, char *err, size_t errlen)
{
	char path[4096];

	if (file_path(dir, cfg, "hgrm", path, sizeof(path))) {
		snprintf(err, errlen, "%s: a file name there would be too long", dir);
		return -ENAMETOOLONG;
	}
	return outfile_check(path, err, errlen);
}

int hdrout_write_hgrm(const char *dir, const struct run_cell *c, char *err, size_t errlen)
{
	char path[4096];
	struct outfile of;
	int r;

	if (file_path(dir, &c->cfg, "hgrm", path, sizeof(path))) {
		snprintf(err, errlen, "%s: a file name there would be too long", dir);
		return -ENAMETOOLONG;
	}
	r = outfile_open(&of, path, err, errlen);
	if (r)
		return r;
	r = hist_write_hgrm(&c->res.latency, of.f, 5, 1.0, false);
	if (r) {
		outfile_abort(&of);
		snprintf(err, errlen, "writing %s: %s", path, strerror(-r));
		return r;
	}
	return outfile_commit(&of, err, errlen);
}

int hdrout_hlog_check(const char *dir, const struct cell_config *cfg, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	if (file_path(dir, cfg, "hlog", path, sizeof(path))) {
		snprintf(err, errlen, "%s: a file name there would be too long", dir);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen,
			 "%s exists already (a run never appends to an earlier log): remove it or choose another "
			 "directory",
			 path);
		return -EEXIST;
	}
	return 0;
}

/* The first repetition creates the file; a later one reopens exactly that file. */
static FILE *open_hlog(struct hdrout_hlog *h, const char *path, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (h->created ? O_APPEND : O_CREAT | O_EXCL);
	int fd = open(path, flags, 0666), e;
	struct stat st;
	FILE *f;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "open %s: %s", path,
			 e == EEXIST ? "exists already (a run never appends to an earlier log)" : strerror(e));
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (h->created && (st.st_dev != h->dev || st.st_ino != h->ino))) {
		snprintf(err, errlen, "%s: not the log this run created: refused", path);
		close(fd);
		errno = EEXIST;
		return NULL;
	}
	f = fdopen(fd, h->created ? "a" : "w");
	if (!f) {
		e = errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return NULL;
	}
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	return f;
}

int hdrout_hlog_append(struct hdrout_hlog *h, const char *dir, const struct cell_config *cfg,
		       const struct cell_result *res, char *err, size_t errlen)
{
	char path[4096], comment[512];
	struct hlog_writer w = {0};
	double now_s = (double)res->start_realtime_ns / 1e9, start_s;
	FILE *f;
	int r = 0;

	if (file_path(dir, cfg, "hlog", path, sizeof(path))) {
		snprintf(err, errlen, "%s: a file name there would be too long", dir);
		return -ENAMETOOLONG;
	}
	f = open_hlog(h, path, err, errlen);
	if (!f)
		return -errno;
	w.f = f;
	if (!h->created) {
		char variant[300];

		transport_variant_name(cfg->ops, &cfg->opts, true, variant, sizeof(variant));
		snprintf(comment, sizeof(comment), "ipcbench %s, %s %zu-byte messages, latency in ns (%s)", variant,
			 pattern_name(cfg->pattern), cfg->msg_bytes,
			 cfg->pattern == PATTERN_PINGPONG || cfg->pattern == PATTERN_UNDERLOAD ? "round trip"
											       : "one way");
		r = hlog_writer_open(&w, f, now_s, comment);
		h->created = true;
		h->start_s = now_s;
	}
	/* intervals are relative to the file's StartTime: for a later repetition, the first one's start */
	start_s = now_s - h->start_s;
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
