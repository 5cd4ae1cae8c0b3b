/*
 * histset.c - groups and merges the histograms of result files and
 * interval logs (see histset.h).
 */
#include "harness/analysis/histset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/hdr/codec.h"
#include "harness/hdr/hlog.h"
#include "harness/analysis/resultfile.h"

#define SNIFF_BYTES 4096
#define NAME_MAX_BYTES 200 /* group names become file names */

static const char *const cell_patterns[] = {"pingpong", "stream", "rate"};

static int fail(char *why, size_t whylen, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- merging ---- */

static bool layout_equal(const struct hist *a, const struct hist *b)
{
	return a->unit_magnitude == b->unit_magnitude && a->sub_bucket_count == b->sub_bucket_count &&
	       a->bucket_count == b->bucket_count;
}

/* a can hold every value of b at b's resolution or finer. */
static bool layout_covers(const struct hist *a, const struct hist *b)
{
	return a->unit_magnitude <= b->unit_magnitude && a->sub_bucket_count >= b->sub_bucket_count &&
	       a->highest >= b->highest;
}

static int widen(struct hist *dst, const struct hist *src, char *why, size_t whylen)
{
	int64_t lowest = dst->lowest < src->lowest ? dst->lowest : src->lowest;
	int64_t highest = dst->highest > src->highest ? dst->highest : src->highest;
	int digits = dst->digits > src->digits ? dst->digits : src->digits;
	struct hist w;
	int err;

	err = hist_init(&w, lowest, highest, digits);
	if (err)
		return fail(why, whylen, err, "no layout holds both histograms (lowest %lld, highest %lld, %d digits)",
			    (long long)lowest, (long long)highest, digits);
	if (hist_add(&w, dst)) {
		hist_release(&w);
		return fail(why, whylen, -ERANGE, "values lost when widening the layout");
	}
	hist_release(dst);
	*dst = w;
	return 0;
}

int histset_merge(struct hist *dst, const struct hist *src, char *why, size_t whylen)
{
	int64_t lost;
	int err;

	if (!src->total_count && !src->out_of_range)
		return 0;
	if (src->total_count > INT64_MAX - dst->total_count)
		return fail(why, whylen, -EOVERFLOW, "the merged total count overflows (%lld + %lld)",
			    (long long)dst->total_count, (long long)src->total_count);
	if (!layout_equal(dst, src) && !layout_covers(dst, src)) {
		err = widen(dst, src, why, whylen);
		if (err)
			return err;
	}
	lost = hist_add(dst, src);
	if (lost)
		return fail(why, whylen, -ERANGE, "%lld values beyond the merged layout's range", (long long)lost);
	return 0;
}

/* Starts a group's histogram with src's layout, then merges src. */
static int group_merge(struct histset_group *g, const struct hist *src, char *why, size_t whylen)
{
	int err;

	if (!g->merged) {
		err = hist_init(&g->hist, src->lowest, src->highest, src->digits);
		if (err)
			return fail(why, whylen, err, "cannot allocate a histogram: %s", strerror(-err));
	}
	err = histset_merge(&g->hist, src, why, whylen);
	if (!err)
		g->merged++;
	return err;
}

/* ---- cell names ---- */

void histset_ident_release(struct histset_ident *id)
{
	free(id->transport);
	free(id->pattern);
	free(id->relation);
	free(id->wait);
	memset(id, 0, sizeof(*id));
}

/* "_pattern_" after a non-empty transport: the pattern, or NULL. */
static const char *find_pattern(const char *name, size_t *plen)
{
	for (const char *q = strchr(name, '_'); q; q = strchr(q + 1, '_')) {
		for (size_t i = 0; q > name && i < sizeof(cell_patterns) / sizeof(cell_patterns[0]); i++) {
			size_t len = strlen(cell_patterns[i]);

			if (!strncmp(q + 1, cell_patterns[i], len) && q[1 + len] == '_') {
				*plen = len;
				return q + 1;
			}
		}
	}
	return NULL;
}

/* Lower-case letters: a relation or a wait. */
static const char *scan_word(const char *p, char **out)
{
	const char *s = p;

	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == s)
		return NULL;
	*out = strndup(s, (size_t)(p - s));
	return p;
}

/* "-C-S" after the relation, when pinned. */
static const char *scan_cpus(const char *p)
{
	for (int i = 0; i < 2; i++) {
		if (*p != '-' || p[1] < '0' || p[1] > '9')
			return i ? NULL : p;
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

/* "64B_same-0-1_block" then, for rate, "_1000ps". */
static bool parse_rest(const char *p, struct histset_ident *id)
{
	char *end;

	if (*p < '1' || *p > '9')
		return false;
	errno = 0;
	id->msg_bytes = strtoll(p, &end, 10);
	if (errno || strncmp(end, "B_", 2))
		return false;
	p = scan_word(end + 2, &id->relation);
	p = p ? scan_cpus(p) : NULL;
	if (!p || *p != '_')
		return false;
	p = scan_word(p + 1, &id->wait);
	if (!p)
		return false;
	if (!strncmp(p, "_exec", 5) && (p[5] == '\0' || p[5] == '_')) {
		id->exec = true;
		p += 5;
	}
	if (strcmp(id->pattern, "rate"))
		return *p == '\0';
	if (*p != '_' || p[1] < '0' || p[1] > '9')
		return false;
	id->rate_per_sec = strtod(p + 1, &end);
	return !strcmp(end, "ps") && isfinite(id->rate_per_sec) && id->rate_per_sec > 0;
}

bool histset_parse_cell_name(const char *name, struct histset_ident *id)
{
	size_t plen;
	const char *pat = find_pattern(name, &plen);

	memset(id, 0, sizeof(*id));
	if (!pat)
		return false;
	id->transport = strndup(name, (size_t)(pat - 1 - name));
	id->pattern = strndup(pat, plen);
	if (id->transport && id->pattern && parse_rest(pat + plen + 1, id) && id->relation && id->wait)
		return true;
	histset_ident_release(id);
	return false;
}

/*
 * Keeps [A-Za-z0-9._+-]; anything else (a '/', a control character) and a
 * leading '.' become '_'.
 */
static void sanitize_name(char *s)
{
	size_t n = 0;

	if (*s == '.')
		*s = '_';

	for (char *p = s; *p; p++, n++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  *p == '.' || *p == '_' || *p == '+' || *p == '-';

		if (!ok)
			*p = '_';
	}
	if (n > NAME_MAX_BYTES)
		s[NAME_MAX_BYTES] = '\0';
}

/* ---- filters ---- */

static bool in_list(char *const *list, size_t n, const char *s)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool size_in_list(const size_t *list, size_t n, int64_t v)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((int64_t)list[i] == v)
			return true;
	return false;
}

static bool filter_has_ident(const struct histset_filter *f)
{
	return f->ntransports || f->npatterns || f->nrelations || f->nwaits || f->nsizes;
}

static bool ident_matches(const struct histset_filter *f, const struct histset_ident *id)
{
	return in_list(f->transports, f->ntransports, id->transport) &&
	       in_list(f->patterns, f->npatterns, id->pattern) && in_list(f->relations, f->nrelations, id->relation) &&
	       in_list(f->waits, f->nwaits, id->wait) && size_in_list(f->sizes, f->nsizes, id->msg_bytes);
}

/* ---- groups ---- */

static struct histset_group *group_find(struct histset *s, const char *key)
{
	for (size_t i = 0; i < s->ngroups; i++)
		if (!strcmp(s->groups[i].key, key))
			return &s->groups[i];
	return NULL;
}

/* Takes ownership of key and name (freed on failure). */
static struct histset_group *group_add(struct histset *s, char *key, char *name, enum histset_source src)
{
	struct histset_group *g;

	if (s->ngroups == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct histset_group *v = realloc(s->groups, cap * sizeof(*v));

		if (!v)
			goto out_free;
		s->groups = v;
		s->cap = cap;
	}
	g = &s->groups[s->ngroups++];
	memset(g, 0, sizeof(*g));
	g->key = key;
	g->name = name;
	g->source = src;
	sanitize_name(g->name);
	return g;
out_free:
	free(key);
	free(name);
	return NULL;
}

static void group_release(struct histset_group *g)
{
	free(g->key);
	free(g->name);
	free(g->tag);
	histset_ident_release(&g->ident);
	hist_release(&g->hist);
}

static void group_count_file(struct histset_group *g, size_t file_idx)
{
	if (g->last_file != file_idx + 1) {
		g->last_file = file_idx + 1;
		g->nfiles++;
	}
}

static void group_note_cpus(struct histset_group *g, int client, int server)
{
	for (size_t i = 0; i < g->ncpus; i++)
		if (g->cpus[i][0] == client && g->cpus[i][1] == server)
			return;
	if (g->ncpus == HISTSET_MAX_CPU_PAIRS) {
		g->more_cpus = true;
		return;
	}
	g->cpus[g->ncpus][0] = client;
	g->cpus[g->ncpus][1] = server;
	g->ncpus++;
}

/* ---- result files ---- */

static bool cell_has_rate(const struct rf_cell *c)
{
	return !strcmp(c->pattern, "rate") && isfinite(c->rate_target_per_sec) && c->rate_target_per_sec > 0;
}

static int cell_ident(const struct rf_cell *c, struct histset_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->transport = strdup(c->transport);
	id->pattern = strdup(c->pattern);
	id->relation = strdup(c->relation);
	id->wait = strdup(c->wait);
	id->msg_bytes = c->msg_bytes;
	id->rate_per_sec = cell_has_rate(c) ? c->rate_target_per_sec : 0;
	id->exec = c->peers && !strcmp(c->peers, "exec");
	if (id->transport && id->pattern && id->relation && id->wait)
		return 0;
	histset_ident_release(id);
	return -ENOMEM;
}

/*
 * The transport part of the cell's name, as run's .hgrm files spell it: the
 * key's first field ("pipe:bufsize=65536") with ':' as '+' and '=' as '-'.
 */
static void variant_name(const struct rf_cell *c, char *out, size_t outlen)
{
	const char *k = c->key && strchr(c->key, '/') ? c->key : c->transport;
	size_t n = strchr(k, '/') ? (size_t)(strchr(k, '/') - k) : strlen(k);

	snprintf(out, outlen, "%.*s", (int)n, k);
	for (char *p = out; *p; p++)
		*p = *p == ':' ? '+' : *p == '=' ? '-' : *p;
}

static struct histset_group *cell_group(struct histset *s, const struct rf_cell *c)
{
	struct histset_group *g;
	char *key, *name;
	char rate[64] = "", variant[256], scale[48] = "";
	bool exec = c->peers && !strcmp(c->peers, "exec");

	if (cell_has_rate(c))
		snprintf(rate, sizeof(rate), "_%.0fps", c->rate_target_per_sec);
	variant_name(c, variant, sizeof(variant));
	if (c->pairs || c->clients) /* --pairs N, --clients N: other cells than the one pair's */
		snprintf(scale, sizeof(scale), "_%s%lld", c->pairs ? "pairs" : "clients",
			 (long long)(c->pairs ? c->pairs : c->clients));
	if (asprintf(&key, "J\x1f%s\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%.17g\x1f%d\x1f%s", variant, c->pattern,
		     (long long)c->msg_bytes, c->relation, c->wait, cell_has_rate(c) ? c->rate_target_per_sec : 0.0,
		     exec, scale) < 0)
		return NULL;
	g = group_find(s, key);
	if (g) {
		free(key);
		return g;
	}
	if (asprintf(&name, "%s_%s_%lldB_%s_%s%s%s%s", variant, c->pattern, (long long)c->msg_bytes, c->relation,
		     c->wait, exec ? "_exec" : "", rate, scale) < 0) {
		free(key);
		return NULL;
	}
	g = group_add(s, key, name, HISTSET_JSON);
	if (g && cell_ident(c, &g->ident) == 0)
		g->known = true;
	return g;
}

static bool cell_matches(const struct histset_filter *f, const struct rf_cell *c)
{
	struct histset_ident id = {
		.transport = c->transport,
		.pattern = c->pattern,
		.relation = c->relation,
		.wait = c->wait,
		.msg_bytes = c->msg_bytes,
	};

	return !f->tag && ident_matches(f, &id);
}

static int add_cell(struct histset *s, size_t file_idx, const struct rf_cell *c, size_t i, char *why, size_t whylen)
{
	struct histset_group *g;
	struct hist h;
	char r[256];
	int err;

	if (!cell_matches(&s->filter, c))
		return 0;
	g = cell_group(s, c);
	if (!g)
		return fail(why, whylen, -ENOMEM, "out of memory");
	if (strcmp(c->status, "ok")) {
		g->not_ok++;
		return 0;
	}
	if (!c->lat.hdr)
		return fail(why, whylen, -EINVAL, "results[%zu].latency_ns.hdr: null in an ok cell", i);
	err = resultfile_lat_hist(&c->lat, &h, r, sizeof(r));
	if (err)
		return fail(why, whylen, err, "results[%zu].latency_ns.hdr: %s", i, r);
	err = group_merge(g, &h, r, sizeof(r));
	if (err) {
		fail(why, whylen, err, "results[%zu]: merging: %s", i, r);
		goto out;
	}
	group_count_file(g, file_idx);
	group_note_cpus(g, c->client_cpu, c->server_cpu);
out:
	hist_release(&h);
	return err;
}

static int add_result(struct histset *s, size_t file_idx, const char *path, char *err, size_t errlen)
{
	struct result_file rf;
	char why[512];
	int rc;

	rc = resultfile_load(path, &rf, err, errlen);
	if (rc)
		return rc;
	if (!rf.ncells) {
		snprintf(err, errlen, "%s: holds no cells", path);
		rc = -EINVAL;
	}
	for (size_t i = 0; !rc && i < rf.ncells; i++) {
		rc = add_cell(s, file_idx, &rf.cells[i], i, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	resultfile_release(&rf);
	return rc;
}

/* ---- interval logs ---- */

/* The file name without its directory and ".hlog". */
static char *hlog_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".hlog"))
		len -= 5;
	return strndup(base, len);
}

static struct histset_group *interval_group(struct histset *s, const char *stem, const char *tag)
{
	struct histset_group *g;
	char *key, *name;

	if (asprintf(&key, "H\x1f%s\x1f%s%s", stem, tag ? "T" : "-", tag ? tag : "") < 0)
		return NULL;
	g = group_find(s, key);
	if (g) {
		free(key);
		return g;
	}
	if (asprintf(&name, "%s%s%s", stem, tag ? "_tag-" : "", tag ? tag : "") < 0) {
		free(key);
		return NULL;
	}
	g = group_add(s, key, name, HISTSET_HLOG);
	if (!g)
		return NULL;
	g->known = histset_parse_cell_name(stem, &g->ident);
	g->first_s = INFINITY;
	g->end_s = -INFINITY;
	if (tag && !(g->tag = strdup(tag)))
		return NULL;
	return g;
}

static int add_interval(struct histset *s, size_t file_idx, const char *stem, const struct hlog_interval *iv, char *why,
			size_t whylen)
{
	struct histset_group *g;
	char r[256];
	int err;

	if (s->filter.tag && (!iv->tag || strcmp(iv->tag, s->filter.tag)))
		return 0;
	g = interval_group(s, stem, iv->tag);
	if (!g)
		return fail(why, whylen, -ENOMEM, "out of memory");
	err = group_merge(g, &iv->hist, r, sizeof(r));
	if (err)
		return fail(why, whylen, err, "line %ld: merging: %s", iv->line, r);
	group_count_file(g, file_idx);
	if (iv->start_s < g->first_s)
		g->first_s = iv->start_s;
	if (iv->start_s + iv->length_s > g->end_s)
		g->end_s = iv->start_s + iv->length_s;
	return 0;
}

/* Whether the filter lets this log's intervals in at all (by its name). */
static bool hlog_selected(const struct histset_filter *f, const char *stem)
{
	struct histset_ident id;
	bool ok;

	if (!filter_has_ident(f))
		return true;
	if (!histset_parse_cell_name(stem, &id))
		return false;
	ok = ident_matches(f, &id);
	histset_ident_release(&id);
	return ok;
}

static int read_hlog(struct histset *s, size_t file_idx, FILE *f, const char *stem, char *why, size_t whylen)
{
	bool selected = hlog_selected(&s->filter, stem);
	struct hlog_interval iv;
	struct hlog_reader r;
	long n = 0;
	int rc;

	hlog_reader_init(&r, f);
	while ((rc = hlog_read_next(&r, &iv, why, whylen)) == 1) {
		n++;
		if (selected)
			rc = add_interval(s, file_idx, stem, &iv, why, whylen);
		hlog_interval_release(&iv);
		if (rc < 0)
			break;
	}
	hlog_reader_release(&r);
	if (rc == 0 && n == 0)
		rc = fail(why, whylen, -EINVAL, "no intervals (no histogram lines)");
	return rc;
}

static int add_hlog(struct histset *s, size_t file_idx, const char *path, char *err, size_t errlen)
{
	char why[512];
	char *stem;
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	stem = hlog_stem(path);
	if (!stem)
		rc = fail(why, sizeof(why), -ENOMEM, "out of memory");
	else
		rc = read_hlog(s, file_idx, f, stem, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "%s: %s", path, why);
	free(stem);
	fclose(f);
	return rc;
}

/* ---- inputs ---- */

static int read_head(const char *path, char *buf, size_t cap, size_t *len, struct stat *st, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n = 0;

	if (fd < 0)
		return fail(why, whylen, -errno, "%s", strerror(errno));
	if (fstat(fd, st) < 0) {
		n = -errno;
		close(fd);
		return fail(why, whylen, (int)n, "fstat: %s", strerror((int)-n));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return fail(why, whylen, -EINVAL, "%s", S_ISDIR(st->st_mode) ? "is a directory" : "not a regular file");
	}
	*len = 0;
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (n < 0)
		return fail(why, whylen, -EIO, "read: %s", strerror(errno));
	return 0;
}

static bool looks_like_hlog(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *legend = "\"StartTimestamp\"";

	if (end - p >= 2 && !memcmp(p, "#[", 2))
		return true;
	if ((size_t)(end - p) >= strlen(legend) && !memcmp(p, legend, strlen(legend)))
		return true;
	return memmem(p, (size_t)((nl ? nl : end) - p), "HISTF", 5) != NULL;
}

static int detect(const char *path, enum histset_source *src, struct stat *st, char *why, size_t whylen)
{
	char buf[SNIFF_BYTES];
	const char *p = buf, *end;
	size_t len = 0;
	int err;

	err = read_head(path, buf, sizeof(buf), &len, st, why, whylen);
	if (err)
		return err;
	end = buf + len;
	if (memchr(buf, '\0', len))
		return fail(why, whylen, -EINVAL, "binary data, not a result JSON or an .hlog");
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end)
		return fail(why, whylen, -EINVAL, "empty file");
	if (*p == '{') {
		*src = HISTSET_JSON;
		return 0;
	}
	if (looks_like_hlog(p, end)) {
		*src = HISTSET_HLOG;
		return 0;
	}
	return fail(why, whylen, -EINVAL,
		    "neither a result JSON (no '{') nor an .hlog (no '#[', legend or HISTF line)");
}

static int note_file(struct histset *s, const char *path, const struct stat *st, char *err, size_t errlen)
{
	struct histset_file *v;

	for (size_t i = 0; i < s->nfiles; i++) {
		if (s->files[i].dev == st->st_dev && s->files[i].ino == st->st_ino) {
			snprintf(err, errlen, "%s: the same file as %s (its values would be counted twice)", path,
				 s->files[i].path);
			return -EINVAL;
		}
	}
	v = realloc(s->files, (s->nfiles + 1) * sizeof(*v));
	if (!v || !(v[s->nfiles].path = strdup(path))) {
		if (v)
			s->files = v;
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	s->files = v;
	v[s->nfiles].dev = st->st_dev;
	v[s->nfiles].ino = st->st_ino;
	s->nfiles++;
	return 0;
}

int histset_add_file(struct histset *s, const char *path, char *err, size_t errlen)
{
	enum histset_source src;
	struct stat st;
	char why[256];
	int rc;

	rc = detect(path, &src, &st, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, why);
		return rc;
	}
	rc = note_file(s, path, &st, err, errlen);
	if (rc)
		return rc;
	if (src == HISTSET_JSON)
		return add_result(s, s->nfiles - 1, path, err, errlen);
	return add_hlog(s, s->nfiles - 1, path, err, errlen);
}

void histset_init(struct histset *s, const struct histset_filter *f)
{
	memset(s, 0, sizeof(*s));
	if (f)
		s->filter = *f;
}

void histset_release(struct histset *s)
{
	for (size_t i = 0; i < s->ngroups; i++)
		group_release(&s->groups[i]);
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	free(s->groups);
	free(s->files);
	memset(s, 0, sizeof(*s));
}
