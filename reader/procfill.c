// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the figures of a system record (struct memtrace_system)
 * that no module can read, filled from /proc when a live session reads the
 * record from its relay file.
 *
 * The module writes MEMTRACE_UNKNOWN where a figure's kernel source is not
 * exported: SwapTotal (total_swap_pages), CommitLimit (vm_commit_limit()),
 * Cached before 5.13 (the swap cache size), and the PSI totals (the PSI
 * state).  This file reads them from /proc/meminfo and
 * /proc/pressure/{memory,io,cpu} ("total=", µs) once per read round, so a
 * record's figures are those of when the reader read it: within one read
 * period (half interval_ms, at most POLL_MS) of its tick, more when the
 * reader falls behind; and only when an output shows them
 * (procfill_wanted()).  A record so filled has MEMTRACE_SYSTEM_F_PROC set;
 * a trace file keeps the filled record, so -i shows the same figures.
 * A figure /proc does not have either (a kernel without PSI, or booted with
 * psi=0) stays unknown: an empty cell, said once on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

/* The figures read this round, MEMTRACE_UNKNOWN where /proc has none. */
static struct {
	bool valid;
	uint64_t round;
	uint64_t v[MEMTRACE_SYSTEM_FIGURES];
	bool psi_reported;
} fill;

/* Read @path whole into @buf (NUL-terminated).  Bytes read, or -1/errno. */
ssize_t mt_read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* The number after "@key" at the start of a line of @text; false if none. */
static bool find_num(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *p = text;

	for (;;) {
		if (!strncmp(p, key, klen)) {
			char *end;

			errno = 0;
			*v = strtoull(p + klen, &end, 10);
			return !errno && end != p + klen;
		}
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
}

/* "total=N" on the line of /proc/pressure/@res that starts with @kind. */
static bool psi_total(const char *text, const char *kind, uint64_t *v)
{
	const char *line = text, *t, *eol;
	size_t klen = strlen(kind);
	char *end;

	while (line && *line) {
		eol = strchr(line, '\n');
		if (!strncmp(line, kind, klen) && line[klen] == ' ') {
			t = strstr(line, " total=");
			if (!t || (eol && t > eol))
				return false;
			errno = 0;
			*v = strtoull(t + 7, &end, 10);
			return !errno && end != t + 7;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Read what the module leaves unknown, once for @round. */
static void read_proc(uint64_t round)
{
	/* each file once a round: its "some" and "full" lines (cpu's "full"
	 * is not a figure of the record) */
	static const struct {
		const char *res;
		size_t some, full;
	} psi[] = {
		{ "memory", MT_SYS_IDX(psi_memory_some_us), MT_SYS_IDX(psi_memory_full_us) },
		{ "io", MT_SYS_IDX(psi_io_some_us), MT_SYS_IDX(psi_io_full_us) },
		{ "cpu", MT_SYS_IDX(psi_cpu_some_us), MEMTRACE_SYSTEM_FIGURES },
	};
	static const struct {
		const char *key;
		size_t idx;
	} mem[] = {
		{ "SwapTotal:", MT_SYS_IDX(swaptotal_kb) },
		{ "CommitLimit:", MT_SYS_IDX(commitlimit_kb) },
		{ "Cached:", MT_SYS_IDX(cached_kb) },
	};
	char buf[4096], path[64];
	uint64_t v;

	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++)
		fill.v[i] = MEMTRACE_UNKNOWN;
	fill.valid = true;
	fill.round = round;
	if (mt_read_small("/proc/meminfo", buf, sizeof(buf)) > 0)
		for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++)
			if (find_num(buf, mem[i].key, &v) && v < MEMTRACE_UNKNOWN)
				fill.v[mem[i].idx] = v;
	for (size_t i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
		snprintf(path, sizeof(path), "/proc/pressure/%s", psi[i].res);
		if (mt_read_small(path, buf, sizeof(buf)) < 0) {
			if (!fill.psi_reported && !g.quiet)
				msg("note: %s: %s: the psi_* columns of --system are empty (PSI needs CONFIG_PSI and no psi=0 on the kernel command line)",
				    path, strerror(errno));
			fill.psi_reported = true;
			continue;
		}
		if (psi_total(buf, "some", &v) && v < MEMTRACE_UNKNOWN)
			fill.v[psi[i].some] = v;
		if (psi[i].full < MEMTRACE_SYSTEM_FIGURES && psi_total(buf, "full", &v) &&
		    v < MEMTRACE_UNKNOWN)
			fill.v[psi[i].full] = v;
	}
}

bool procfill_wanted(void)
{
	return g.sys_open || g.raw_open || g.pf || g.html_rep || g.top || g.om_path ||
	       g.listen_addr;
}

void procfill_note_delayacct(void)
{
	char buf[16];

	/* the sysctl exists from 5.14 on; before, delay accounting is on
	 * unless the kernel was booted with nodelayacct */
	if (g.quiet ||
	    mt_read_small("/proc/sys/kernel/task_delayacct", buf, sizeof(buf)) <= 0 ||
	    buf[0] != '0')
		return;
	msg("note: kernel.task_delayacct is 0 (delay accounting off): the *_delay_ns columns are empty for processes started while it is off (sysctl -w kernel.task_delayacct=1, or boot with delayacct)");
}

void procfill_system(unsigned char *rec, uint32_t len, uint64_t round)
{
	size_t off = offsetof(struct memtrace_system, memtotal_kb);
	bool filled = false;
	uint32_t flags;

	if (len < sizeof(struct memtrace_system))
		return;
	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++) {
		uint64_t le;

		memcpy(&le, rec + off + 8 * i, 8);
		if (le64toh(le) != MEMTRACE_UNKNOWN)
			continue;
		if (!fill.valid || fill.round != round)
			read_proc(round);
		if (fill.v[i] == MEMTRACE_UNKNOWN)
			continue;
		le = htole64(fill.v[i]);
		memcpy(rec + off + 8 * i, &le, 8);
		filled = true;
	}
	if (!filled)
		return;
	memcpy(&flags, rec + offsetof(struct memtrace_system, flags), 4);
	flags = htole32(le32toh(flags) | MEMTRACE_SYSTEM_F_PROC);
	memcpy(rec + offsetof(struct memtrace_system, flags), &flags, 4);
}

/* ---- cgroup rows (--cgroups) ---------------------------------------------- */

/*
 * The cgroups watched: those of sampled processes (their samples'
 * cgroup_id) and those under a --cgroup path, each with its path from the
 * cgroup root, learnt by walking CGROUP_ROOT (a cgroup's id is its
 * directory's inode number).  Sorted by id, for a binary search per sample.
 */
struct cg_entry {
	uint64_t id;
	char *path;		/* NULL: not found in the last walk */
	bool watched;
};

static struct {
	struct cg_entry *e;
	size_t n, cap;
	uint64_t last_walk_ns;
	bool want_walk;		/* a watched id without a path */
	uint64_t last_id;	/* the id of the last sample noted */
	bool last_known;
	/* the budget: no read round before next_ns (see cgrows_emit()) */
	uint64_t next_ns, skipped, rounds, round_ns_sum, rows;
} cgs;

static struct cg_entry *cg_find(uint64_t id, size_t *at)
{
	size_t lo = 0, hi = cgs.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cgs.e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return lo < cgs.n && cgs.e[lo].id == id ? &cgs.e[lo] : NULL;
}

/* The entry of @id, made if new.  NULL: out of memory. */
static struct cg_entry *cg_get(uint64_t id)
{
	struct cg_entry *e;
	size_t at;

	e = cg_find(id, &at);
	if (e)
		return e;
	if (cgs.n == cgs.cap) {
		size_t ncap = cgs.cap ? 2 * cgs.cap : 64;
		struct cg_entry *ne = realloc(cgs.e, ncap * sizeof(*ne));

		if (!ne)
			return NULL;
		cgs.e = ne;
		cgs.cap = ncap;
	}
	memmove(cgs.e + at + 1, cgs.e + at, (cgs.n - at) * sizeof(*cgs.e));
	cgs.n++;
	e = &cgs.e[at];
	memset(e, 0, sizeof(*e));
	e->id = id;
	return e;
}

/* Whether @path is a --cgroup path or below one. */
static bool under_cgroup_arg(const char *path)
{
	for (size_t i = 0; i < g.ncgroups; i++) {
		size_t l = strlen(g.cgroups[i]);

		while (l > 1 && g.cgroups[i][l - 1] == '/')
			l--;
		if (!strncmp(path, g.cgroups[i], l) &&
		    (path[l] == '/' || !path[l] || l == 1))
			return true;
	}
	return false;
}

static bool walk_oom;

static int walk_one(const char *fpath, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	const char *rel = fpath + strlen(CGROUP_ROOT);
	struct cg_entry *e;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	e = cg_get((uint64_t)sb->st_ino);
	if (!e) {
		walk_oom = true;
		return 1;
	}
	free(e->path);
	e->path = strdup(*rel ? rel : "/");
	if (!e->path) {
		walk_oom = true;
		return 1;
	}
	if (under_cgroup_arg(e->path))
		e->watched = true;
	return 0;
}

/* Learn every cgroup's path (and the --cgroup subtrees).  0, or -1. */
static int cg_walk(void)
{
	for (size_t i = 0; i < cgs.n; i++) {
		free(cgs.e[i].path);
		cgs.e[i].path = NULL;
	}
	walk_oom = false;
	nftw(CGROUP_ROOT, walk_one, 16, FTW_PHYS);
	cgs.last_walk_ns = mono_ns();
	cgs.want_walk = false;
	cgs.last_known = false;
	if (walk_oom) {
		msg("out of memory");
		return -1;
	}
	return 0;
}

int cgrows_start(void)
{
	struct stat sb;

	if (stat(CGROUP_ROOT "/cgroup.controllers", &sb)) {
		msg("--cgroups: %s is not a cgroup v2 hierarchy (%s/cgroup.controllers: %s): no cgroup rows",
		    CGROUP_ROOT, CGROUP_ROOT, strerror(errno));
		return 0;
	}
	return cg_walk();
}

void cgrows_note_sample(const unsigned char *rec, uint32_t len)
{
	size_t off = offsetof(struct memtrace_sample, cgroup_id);
	struct cg_entry *e;
	uint64_t id;

	if (len < off + 8)
		return;
	memcpy(&id, rec + off, 8);
	id = le64toh(id);
	/* processes of one cgroup often come together */
	if (!id || (cgs.last_known && id == cgs.last_id))
		return;
	e = cg_get(id);
	if (!e)
		return;		/* no row for it; said at the next emit */
	e->watched = true;
	if (!e->path)
		cgs.want_walk = true;
	cgs.last_id = id;
	cgs.last_known = true;
}

/* A whole number of @key (a line's first word) in @text, or unknown. */
static uint64_t stat_num(const char *text, const char *key)
{
	uint64_t v;

	return find_num(text, key, &v) ? v : MEMTRACE_UNKNOWN;
}

static uint64_t kb(uint64_t bytes)
{
	return bytes == MEMTRACE_UNKNOWN ? bytes : bytes / 1024;
}

/* The figures of cgroup @path.  false: it is gone (its directory). */
static bool cg_read(const char *path, uint64_t *v)
{
	static char buf[16384];
	char fn[MEMTRACE_CGROUP_PATH_MAX + 64];
	uint64_t x;

	for (size_t i = 0; i < MEMTRACE_CGROUP_FIGURES; i++)
		v[i] = MEMTRACE_UNKNOWN;
#define CG_FILE(name) \
	(snprintf(fn, sizeof(fn), "%s%s/" name, CGROUP_ROOT, \
		  strcmp(path, "/") ? path : ""), \
	 mt_read_small(fn, buf, sizeof(buf)) >= 0)
	snprintf(fn, sizeof(fn), "%s%s", CGROUP_ROOT, strcmp(path, "/") ? path : "");
	if (access(fn, F_OK) && errno == ENOENT)
		return false;
	if (CG_FILE("memory.current") && find_num(buf, "", &x))
		v[0] = kb(x);
	if (CG_FILE("memory.swap.current") && find_num(buf, "", &x))
		v[1] = kb(x);
	if (CG_FILE("memory.stat")) {
		v[2] = kb(stat_num(buf, "anon "));
		v[3] = kb(stat_num(buf, "file "));
		v[4] = kb(stat_num(buf, "shmem "));
		v[5] = stat_num(buf, "workingset_refault_anon ");
		v[6] = stat_num(buf, "workingset_refault_file ");
	}
	if (CG_FILE("memory.events")) {
		v[7] = stat_num(buf, "high ");
		v[8] = stat_num(buf, "max ");
		v[9] = stat_num(buf, "oom_kill ");
	}
	if (CG_FILE("memory.pressure")) {
		if (psi_total(buf, "some", &x))
			v[10] = x;
		if (psi_total(buf, "full", &x))
			v[11] = x;
	}
#undef CG_FILE
	return true;
}

/*
 * Reading cgroupfs costs a few system calls per file, five files per cgroup:
 * with many cgroups and short ticks it could take the reader's whole CPU
 * and make it fall behind the module (then records are lost).  So a read
 * round that took T starts the next one no sooner than 9 T later: at most
 * a tenth of a CPU.  The ticks skipped get no cgroup rows; they are counted
 * and the summary says so (cgrows_summary()).
 */
#define CG_BUDGET_FACTOR 10

int cgrows_emit(struct cpu_in *c, const struct mt_hdr *h, uint64_t tick)
{
	static unsigned char rec[sizeof(struct memtrace_cgroup) +
				 MEMTRACE_CGROUP_PATH_MAX + 8];
	uint64_t now = mono_ns(), t0;

	if (now < cgs.next_ns) {
		cgs.skipped++;
		return 0;
	}
	/* new cgroups: a walk at most once a second */
	if ((cgs.want_walk || g.ncgroups) &&
	    now - cgs.last_walk_ns > 1000000000ull && cg_walk())
		return -1;
	t0 = mono_ns();
	for (size_t i = 0; i < cgs.n; i++) {
		struct cg_entry *e = &cgs.e[i];
		struct mt_cginfo ci = { .tick = tick, .cgroup_id = e->id };
		size_t size;

		if (!e->watched || !e->path)
			continue;
		if (!cg_read(e->path, ci.v)) {
			e->watched = false;	/* removed: no more rows */
			continue;
		}
		ci.path = e->path;
		ci.path_len = (uint32_t)strlen(e->path);
		size = mt_encode_cgroup(rec, h, &ci);
		if (queue_made(c, h, rec, (uint32_t)size, MT_CGROUP))
			return -1;
		cgs.rows++;
	}
	now = mono_ns();
	cgs.rounds++;
	cgs.round_ns_sum += now - t0;
	cgs.next_ns = now + (CG_BUDGET_FACTOR - 1) * (now - t0);
	return 0;
}

void cgrows_summary(void)
{
	if (g.quiet || !cgs.skipped)	/* the outputs are closed by now */
		return;
	msg("cgroup rows: %" PRIu64 " of %" PRIu64 " ticks have none: reading cgroupfs took %.0f us a tick (%" PRIu64 " rows), and the reader gives it at most 1/%d of a CPU so as not to fall behind the module; a longer interval (-I MS) or a narrower --cgroup gives every tick its rows",
	    cgs.skipped, cgs.skipped + cgs.rounds,
	    cgs.rounds ? (double)cgs.round_ns_sum / (double)cgs.rounds / 1e3 : 0.0,
	    cgs.rows, CG_BUDGET_FACTOR);
}

void cgrows_free(void)
{
	for (size_t i = 0; i < cgs.n; i++)
		free(cgs.e[i].path);
	free(cgs.e);
	memset(&cgs, 0, sizeof(cgs));
}
