/*
 * outfile.c - the output writer behind outfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"

static int fail(char *err, size_t errlen, int e, const char *path, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what ? what : strerror(e));
	return -e;
}

/* The descriptor a /dev/stdout-like name stands for, or -1. */
static int fd_alias(const char *path)
{
	static const char *const prefix[] = {"/dev/fd/", "/proc/self/fd/"};
	char *end;
	long n;

	if (!strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		size_t len = strlen(prefix[i]);

		if (strncmp(path, prefix[i], len) || !path[len])
			continue;
		errno = 0;
		n = strtol(path + len, &end, 10);
		if (!errno && !*end && n >= 0 && n < INT_MAX)
			return (int)n;
	}
	return -1;
}

static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

enum target {
	T_DIRECT_STDOUT,
	T_DIRECT_FD,   /* an alias of an open descriptor */
	T_DIRECT_PATH, /* a character device, FIFO or socket */
	T_ATOMIC,
};

static int classify(const char *path, enum target *t, mode_t *mode, char *err, size_t errlen)
{
	struct stat st;
	char real[PATH_MAX], dir[PATH_MAX];

	*mode = 0;
	if (!strcmp(path, "-")) {
		*t = T_DIRECT_STDOUT;
		return 0;
	}
	if (!path[0])
		return fail(err, errlen, EINVAL, "(empty)", "empty output path");
	if (strlen(path) >= PATH_MAX - 64)
		return fail(err, errlen, ENAMETOOLONG, path, NULL);
	if (fd_alias(path) >= 0) {
		*t = T_DIRECT_FD;
		return 0;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return fail(err, errlen, errno, path, NULL);
		dir_of(path, dir, sizeof(dir));
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return fail(err, errlen, ENOENT, path, "its directory does not exist");
		if (access(dir, W_OK) < 0)
			return fail(err, errlen, EACCES, path, "its directory is not writable");
		*t = T_ATOMIC;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char msg[PATH_MAX + 96];

		if (!realpath(path, real))
			return fail(err, errlen, errno, path, "a symlink that does not resolve: refused");
		snprintf(msg, sizeof(msg), "a symlink to %s: name that path to write there", real);
		return fail(err, errlen, ELOOP, path, msg);
	}
	if (S_ISDIR(st.st_mode))
		return fail(err, errlen, EISDIR, path, "is a directory");
	if (S_ISBLK(st.st_mode))
		return fail(err, errlen, EINVAL, path, "is a block device: refused");
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		*t = T_DIRECT_PATH;
		return 0;
	}
	dir_of(path, dir, sizeof(dir));
	if (access(dir, W_OK) < 0)
		return fail(err, errlen, EACCES, path, "its directory is not writable");
	*mode = st.st_mode & 07777;
	*t = T_ATOMIC;
	return 0;
}

int outfile_check(const char *path, char *err, size_t errlen)
{
	enum target t;
	mode_t mode;

	return classify(path, &t, &mode, err, errlen);
}

static int open_tmp(struct outfile *of, mode_t keep_mode, char *err, size_t errlen)
{
	const char *base = strrchr(of->path, '/');
	char dir[PATH_MAX];
	uint64_t rnd;
	int fd, e;

	base = base ? base + 1 : of->path;
	dir_of(of->path, dir, sizeof(dir));
	for (int tries = 0;; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)of ^ (uint64_t)tries;
		snprintf(of->tmp, sizeof(of->tmp), "%s/.%.64s" OUTFILE_TMP_TAG "%d-%016llx", dir, base, (int)getpid(),
			 (unsigned long long)rnd);
		/* O_EXCL|O_NOFOLLOW: never through a planted file or symlink */
		fd = open(of->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST || tries >= 8)
			break;
	}
	if (fd < 0) {
		e = errno;
		of->tmp[0] = '\0';
		return fail(err, errlen, e, of->path, NULL);
	}
	if (keep_mode && fchmod(fd, keep_mode) < 0) {
		e = errno;
		close(fd);
		unlink(of->tmp);
		of->tmp[0] = '\0';
		return fail(err, errlen, e, of->path, NULL);
	}
	of->f = fdopen(fd, "w");
	if (!of->f) {
		e = errno;
		close(fd);
		unlink(of->tmp);
		of->tmp[0] = '\0';
		return fail(err, errlen, e, of->path, NULL);
	}
	of->atomic = true;
	return 0;
}

int outfile_open(struct outfile *of, const char *path, char *err, size_t errlen)
{
	enum target t;
	mode_t mode;
	int r, fd;

	memset(of, 0, sizeof(*of));
	r = classify(path, &t, &mode, err, errlen);
	if (r)
		return r;
	snprintf(of->path, sizeof(of->path), "%s", path);
	switch (t) {
	case T_DIRECT_STDOUT:
		fflush(stdout);
		of->f = stdout;
		of->is_stdout = true;
		return 0;
	case T_DIRECT_FD:
		fd = fd_alias(path);
		if (fd == STDOUT_FILENO) {
			fflush(stdout);
			of->f = stdout;
			of->is_stdout = true;
			return 0;
		}
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		break;
	case T_DIRECT_PATH:
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		break;
	case T_ATOMIC:
	default:
		return open_tmp(of, mode, err, errlen);
	}
	if (fd < 0)
		return fail(err, errlen, errno, path, NULL);
	of->f = fdopen(fd, "w");
	if (!of->f) {
		r = errno;
		close(fd);
		return fail(err, errlen, r, path, NULL);
	}
	return 0;
}

static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int outfile_commit(struct outfile *of, char *err, size_t errlen)
{
	int e = 0;

	if (!of->f)
		return fail(err, errlen, EBADF, of->path, NULL);
	if (fflush(of->f) || ferror(of->f))
		e = errno ? errno : EIO;
	if (of->is_stdout) {
		of->f = NULL;
		return e ? fail(err, errlen, e, "standard output", NULL) : 0;
	}
	/* fsync is meaningless on a tty or pipe (EINVAL): only files are synced */
	if (!e && of->atomic && fsync(fileno(of->f)) < 0)
		e = errno;
	if (fclose(of->f) && !e)
		e = errno ? errno : EIO;
	of->f = NULL;
	if (!e && of->atomic && rename(of->tmp, of->path) < 0)
		e = errno;
	if (e) {
		if (of->atomic)
			unlink(of->tmp);
		of->tmp[0] = '\0';
		return fail(err, errlen, e, of->path, NULL);
	}
	if (of->atomic)
		sync_dir(of->path);
	of->tmp[0] = '\0';
	return 0;
}

void outfile_abort(struct outfile *of)
{
	if (of->f && !of->is_stdout)
		fclose(of->f);
	else if (of->f)
		fflush(of->f);
	of->f = NULL;
	if (of->atomic && of->tmp[0])
		unlink(of->tmp);
	of->tmp[0] = '\0';
}

int outfile_write(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	struct outfile of;
	int r = outfile_open(&of, path, err, errlen);

	if (r)
		return r;
	if (len && fwrite(buf, 1, len, of.f) != len) {
		r = errno ? errno : EIO;
		outfile_abort(&of);
		return fail(err, errlen, r, path, NULL);
	}
	return outfile_commit(&of, err, errlen);
}

bool outfile_is_tmp(const char *name, int *pid)
{
	const char *tag = strstr(name, OUTFILE_TMP_TAG);
	char *end;
	long n;

	if (name[0] != '.' || !tag)
		return false;
	errno = 0;
	n = strtol(tag + strlen(OUTFILE_TMP_TAG), &end, 10);
	if (errno || n <= 0 || n > INT_MAX || *end != '-' || strlen(end + 1) != 16)
		return false;
	if (strspn(end + 1, "0123456789abcdef") != 16)
		return false;
	if (pid)
		*pid = (int)n;
	return true;
}
