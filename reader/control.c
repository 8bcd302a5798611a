// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the module's control files (DIR/enable, interval_ms,
 * wss_interval_ms, pids, comms, session, stats): reading and writing them,
 * the errors and their fixes, the stats file, and the recording session
 * whose settings the module puts back when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "reader.h"

const char load_fix[] =
	"load it: insmod module/memtrace.ko or modprobe memtrace";

/* The fix to name after an errno from a module file. */
const char *fix_for(int err)
{
	if (err == EACCES || err == EPERM)
		return ": run as root";
	if (err == EOPNOTSUPP)
		return ": memtrace has no WSS scanner for this architecture";
	/* control files refuse opens until init succeeded, and while unloading */
	if (err == EAGAIN)
		return ": the memtrace module is still loading: try again";
	if (err == ENXIO)
		return ": the memtrace module is being unloaded";
	return "";
}

char *dir_path(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", g.dir, name) < 0)
		return NULL;
	return p;
}

/* Write @val to DIR/@name.  0, or -errno. */
int ctl_write(const char *name, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = openat(g.dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Read DIR/@name into @buf (NUL-terminated).  Bytes read, or -errno. */
ssize_t ctl_read(const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = openat(g.dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

/* Report a failed control write; names the file, the cause and the fix. */
void ctl_error(const char *name, const char *val, int err)
{
	msg("writing '%s' to %s/%s: %s%s", val, g.dir, name, strerror(-err),
	    fix_for(-err));
}

static struct cpu_stat *stat_cpu(struct stats *st, unsigned int cpu)
{
	struct cpu_stat *n;

	for (size_t i = 0; i < st->n; i++)
		if (st->cpu[i].cpu == cpu)
			return &st->cpu[i];
	n = realloc(st->cpu, (st->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	st->cpu = n;
	memset(&n[st->n], 0, sizeof(n[0]));
	n[st->n].cpu = cpu;
	return &n[st->n++];
}

/* The CPU's next seq: cpuN_seq, or else cpuN_written + cpuN_dropped. */
bool stat_seq(const struct cpu_stat *c, uint64_t *seq)
{
	if (c->has_seq)
		*seq = c->seq;
	else if (c->has_written && c->has_dropped)
		*seq = c->written + c->dropped;
	else
		return false;
	return true;
}

void stats_free(struct stats *st)
{
	free(st->cpu);
	memset(st, 0, sizeof(*st));
}

/*
 * "cpuN_KEY" (N a decimal unsigned int, KEY lower-case letters): N and a
 * pointer to KEY.  strtoul() and a range check, not sscanf("%u"), whose
 * behaviour on a number out of range is undefined.
 */
static bool cpu_key(const char *name, unsigned int *cpu, const char **key)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "cpu", 3) || name[3] < '0' || name[3] > '9')
		return false;
	errno = 0;
	v = strtoul(name + 3, &end, 10);
	if (errno || v > UINT_MAX || *end != '_' || !end[1] ||
	    strspn(end + 1, "abcdefghijklmnopqrstuvwxyz") != strlen(end + 1))
		return false;
	*cpu = (unsigned int)v;
	*key = end + 1;
	return true;
}

/* Parse DIR/stats ("key: value" lines): the cpuN_* figures. */
void read_stats(struct stats *st)
{
	static char buf[1 << 20];
	char *line, *save = NULL;
	ssize_t n;

	stats_free(st);
	n = ctl_read("stats", buf, sizeof(buf));
	if (n < 0) {
		if (!g.module_gone)
			msg("warning: reading %s/stats: %s%s; drops are not reported",
			    g.dir, strerror((int)-n), fix_for((int)-n));
		return;
	}
	st->ok = true;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *end;
		unsigned long long v;
		struct cpu_stat *c;
		const char *key;
		unsigned int cpu;

		if (!colon)
			continue;
		*colon = '\0';
		errno = 0;
		v = strtoull(colon + 1, &end, 10);
		if (errno || end == colon + 1)
			continue;
		if (!strcmp(line, "wss_tlb_flush_available")) {
			st->wss_unflushed = !v;
			continue;
		}
		if (!strcmp(line, "wss_nonleaf_young_available")) {
			st->wss_nonleaf = v;
			continue;
		}
		if (!strcmp(line, "timer_resolution_ns")) {
			st->timer_res_ns = v;
			continue;
		}
		if (!cpu_key(line, &cpu, &key))
			continue;
		if (strcmp(key, "seq") && strcmp(key, "written") &&
		    strcmp(key, "dropped"))
			continue;
		c = stat_cpu(st, cpu);
		if (!c) {
			msg("out of memory");
			return;
		}
		if (!strcmp(key, "seq")) {
			c->has_seq = true;
			c->seq = v;
		} else if (!strcmp(key, "written")) {
			c->has_written = true;
			c->written = v;
		} else {
			c->has_dropped = true;
			c->dropped = v;
		}
	}
}

int check_debugfs(void)
{
	struct statfs sfs;

	if (strcmp(g.dir, DEFAULT_DIR))
		return 0;	/* -D DIR: tests use plain directories */
	if (statfs(DEBUGFS_ROOT, &sfs)) {
		if (errno == EACCES || errno == EPERM) {
			msg("%s: %s: run as root", DEBUGFS_ROOT, strerror(errno));
			return -1;
		}
		if (errno != ENOENT) {
			msg("%s: %s", DEBUGFS_ROOT, strerror(errno));
			return -1;
		}
		sfs.f_type = 0;
	}
	if ((unsigned long)sfs.f_type != DEBUGFS_MAGIC) {
		msg("debugfs is not mounted on %s: mount -t debugfs none %s",
		    DEBUGFS_ROOT, DEBUGFS_ROOT);
		return -1;
	}
	return 0;
}

int open_dir(void)
{
	struct statfs sfs;

	g.dirfd = open(g.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.dirfd < 0) {
		int err = errno;

		if (err == ENOENT)
			msg("%s: no such directory: the memtrace module is not loaded: %s",
			    g.dir, load_fix);
		else
			msg("%s: %s%s", g.dir, strerror(err), fix_for(err));
		return -1;
	}
	g.is_debugfs = !fstatfs(g.dirfd, &sfs) &&
		       (unsigned long)sfs.f_type == DEBUGFS_MAGIC;
	return 0;
}

/*
 * Start the session: open DIR/session for writing.  Every setting the
 * reader changes from here on (enable, interval_ms, wss_interval_ms, pids,
 * comms, cgroups) is the session's, and the module puts back the previous ones when
 * the file is closed -- at the reader's exit, crash or SIGKILL alike.  A
 * second reader fails here, having changed nothing.  0, or -1 (reported).
 */
int session_claim(void)
{
	char buf[256], pid[32] = "?", comm[64] = "?";
	int err;

	g.sessfd = openat(g.dirfd, "session", O_WRONLY | O_CLOEXEC);
	if (g.sessfd >= 0)
		return 0;
	err = errno;
	if (err == EBUSY) {
		if (ctl_read("session", buf, sizeof(buf)) > 0) {
			const char *p = strstr(buf, "owner_pid: ");
			const char *c = strstr(buf, "owner_comm: ");

			if (p)
				sscanf(p + 11, "%31[0-9]", pid);
			if (c)
				sscanf(c + 12, "%63[^\n]", comm);
		}
		msg("another recording session is running (pid %s, %s): only one reader can record at a time; stop it first",
		    pid, comm);
	} else if (err == ENOENT) {
		msg("%s/session: no such file: the loaded memtrace module is older than this reader: load the module of this reader's version",
		    g.dir);
	} else {
		msg("%s/session: %s%s", g.dir, strerror(err), fix_for(err));
	}
	return -1;
}

/*
 * End the session: the module puts back every setting it changed.  Call
 * after enable=0 and the final drain.  0, or -1 (reported).
 */
int session_end(void)
{
	int fd = g.sessfd;

	g.sessfd = -1;
	if (fd < 0 || !close(fd) || g.module_gone)
		return 0;
	msg("closing %s/session: %s", g.dir, strerror(errno));
	return -1;
}

/*
 * Write @val to the control file @name, which modules older than its
 * feature lack: without the file (ENOENT) a session that does not ask for
 * the feature (!@wanted) goes on; one that does is told the module "cannot
 * @cannot".  0, or -1 (reported).
 */
static int ctl_write_newer(const char *name, const char *val, bool wanted,
			   const char *cannot)
{
	int err = ctl_write(name, val);

	if (!err || (err == -ENOENT && !wanted))
		return 0;
	if (err == -ENOENT)
		msg("%s/%s: no such file: this memtrace module cannot %s (it predates it)",
		    g.dir, name, cannot);
	else
		ctl_error(name, val, err);
	return -1;
}

/*
 * Once per session: a kernel without high-resolution timers rounds the
 * sampler's interval up to a jiffy (hrtimer_forward(), stats'
 * timer_resolution_ns), and the ticks it never asks for are not missed ticks.
 */
static void warn_timer_resolution(void)
{
	unsigned long long res = g.stats0.timer_res_ns;
	unsigned long iv;
	char buf[32], *end;

	if (!res || ctl_read("interval_ms", buf, sizeof(buf)) <= 0)
		return;
	errno = 0;
	iv = strtoul(buf, &end, 10);
	if (errno || end == buf || !iv || res <= iv * 1000000ULL)
		return;
	msg("warning: this kernel's timers resolve to %.3g ms (timer_resolution_ns %llu in %s/stats: high-resolution timers are off), so the sampler ticks every %.3g ms, not every %lu ms, and ticks_missed counts only ticks missed at that pace",
	    res / 1e6, res, g.dir, res / 1e6, iv);
}

/*
 * MGLRU's page-table walk, with its non-leaf capability (0x0004 of
 * /sys/kernel/mm/lru_gen/enabled, on by default where the kernel enables
 * MGLRU), clears the PMD Accessed bits by which the module skips page tables
 * (wss_nonleaf_young), without reading every PTE below them or flushing:
 * say so once when both are on, as the WSS figures can then miss tables.
 */
static void warn_mglru_nonleaf(void)
{
	char buf[32], *end;
	unsigned long caps;

	if (!g.stats0.wss_nonleaf ||
	    mt_read_small("/sys/module/memtrace/parameters/wss_nonleaf_young",
			  buf, sizeof(buf)) <= 0 || buf[0] != 'Y' ||
	    mt_read_small("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	errno = 0;
	caps = strtoul(buf, &end, 0);
	if (errno || end == buf || (caps & 0x5) != 0x5)
		return;
	msg("warning: MGLRU's page-table walk clears page tables' own Accessed bits (capability 0x0004 in /sys/kernel/mm/lru_gen/enabled: %s), by which memtrace's WSS scan skips untouched tables (wss_nonleaf_young=Y): under memory pressure a window can miss tables it aged; echo N > /sys/module/memtrace/parameters/wss_nonleaf_young, or echo 0x%lx > /sys/kernel/mm/lru_gen/enabled (Documentation/memtrace-wss.rst, \"Skipping untouched page tables\")",
	    buf, caps & ~0x4UL);
}

/* Apply -I, -W, --pss and --idle-ages for the session.  0, or -1 (reported). */
int set_intervals(void)
{
	char val[32];
	int err;

	if (g.interval_ms) {
		snprintf(val, sizeof(val), "%u", g.interval_ms);
		err = ctl_write("interval_ms", val);
		if (err) {
			ctl_error("interval_ms", val, err);
			return -1;
		}
	}
	/* without -W the session has no WSS scan, whatever was set before */
	snprintf(val, sizeof(val), "%u", g.wss_ms);
	err = ctl_write("wss_interval_ms", val);
	if (err) {
		if (err == -ENOENT)
			msg("%s/wss_interval_ms: no such file: this memtrace module has no WSS scanner",
			    g.dir);
		else
			ctl_error("wss_interval_ms", val, err);
		return -1;
	}
	/*
	 * without --pss the session sums no PSS; a module older than PSS
	 * (no such file) is fine unless --pss asked for it
	 */
	snprintf(val, sizeof(val), "%u", g.pss_ms);
	if (ctl_write_newer("pss_interval_ms", val, g.pss_ms, "sum PSS"))
		return -1;
	/* without --idle-ages the session ages nothing */
	if (g.n_idle) {
		int n = 0;

		for (size_t i = 0; i < g.n_idle; i++)
			n += snprintf(val + n, sizeof(val) - n, "%s%u", i ? "," : "",
				      (unsigned int)g.idle_s[i]);
	} else {
		snprintf(val, sizeof(val), "0");
	}
	if (ctl_write_newer("idle_ages_s", val, g.n_idle, "age pages"))
		return -1;
	/* once per session: the figures are less exact without it */
	if (g.wss_ms && g.stats0.wss_unflushed)
		msg("warning: this kernel lets no module flush TLBs: WSS runs without the flush and can miss pages whose translations stay cached (Documentation/memtrace-wss.rst, \"Supported kernels\")");
	if (g.wss_ms)
		warn_mglru_nonleaf();
	warn_timer_resolution();
	return 0;
}

/*
 * Choose what the session samples: the -p PIDs, -c names and --cgroup
 * cgroups, or (with none) every process -- never a filter set before the session, which
 * comes back when it ends.  0, or -1 (reported).
 */
int set_filter(void)
{
	char val[32];
	int err;

	err = ctl_write("pids", "clear");
	if (err) {
		ctl_error("pids", "clear", err);
		return -1;
	}
	for (size_t i = 0; i < g.npids; i++) {
		pid_t pid = g.pids[i];
		struct stat sb;

		snprintf(val, sizeof(val), "/proc/%d", (int)pid);
		if (stat(val, &sb)) {
			msg("no such process: %d (%s: %s): give the PID of a running process",
			    (int)pid, val, strerror(errno));
			return -1;
		}
		snprintf(val, sizeof(val), "+%d", (int)pid);
		err = ctl_write("pids", val);
		if (err == -ESRCH) {
			msg("no such process: %d (%s/pids: %s): give the PID of a running process",
			    (int)pid, g.dir, strerror(ESRCH));
			return -1;
		}
		if (err) {
			ctl_error("pids", val, err);
			return -1;
		}
		g.registered[g.nregistered++] = pid;
	}
	for (size_t i = 0; i < g.ncomms; i++) {
		snprintf(val, sizeof(val), "+%s", g.comms[i]);
		err = ctl_write("comms", val);
		if (err) {
			ctl_error("comms", val, err);
			return -1;
		}
	}
	for (size_t i = 0; i < g.ncgroups; i++) {
		char cval[CGROUP_PATH_MAX + 1];

		snprintf(cval, sizeof(cval), "+%s", g.cgroups[i]);
		if (faccessat(g.dirfd, "cgroups", W_OK, 0)) {
			msg("%s/cgroups: %s: the loaded memtrace module is older than this reader: load the module of this reader's version",
			    g.dir, strerror(errno));
			return -1;
		}
		err = ctl_write("cgroups", cval);
		if (err == -ENOENT || err == -ENOTDIR) {
			msg("--cgroup %s: no cgroup v2 directory %s%s (%s/cgroups: %s)",
			    g.cgroups[i], CGROUP_ROOT, g.cgroups[i], g.dir,
			    strerror(-err));
			return -1;
		}
		if (err) {
			ctl_error("cgroups", cval, err);
			return -1;
		}
	}
	return 0;
}

/*
 * Once a second: the -p processes that exited (the module drops a
 * process from DIR/pids at the first tick after its exit).  Each is named
 * once; with none left and no -c, the session ends (see -p) unless -d
 * keeps it going.
 */
void check_pids(uint64_t now)
{
	static char buf[1 << 20];
	size_t kept = 0;

	if (!g.nregistered || ctl_read("pids", buf, sizeof(buf)) < 0)
		return;
	for (size_t i = 0; i < g.nregistered; i++) {
		pid_t pid = g.registered[i];
		bool listed = false;

		/* one decimal tgid per line, ascending */
		for (const char *line = buf; *line && !listed;) {
			listed = strtol(line, NULL, 10) == pid;
			line = strchrnul(line, '\n');
			line += *line == '\n';
		}
		if (listed) {
			g.registered[kept++] = pid;
			continue;
		}
		msg("process %d exited (%.1f s into the session); recording %s",
		    (int)pid, (double)(now - g.t0_ns) / 1e9,
		    kept + (g.nregistered - i - 1) || g.ncomms || g.ncgroups ?
			    "the others" :
		    g.duration > 0 ? "until -d ends, though no process is left" :
		    "no process any more: ending the session");
	}
	g.nregistered = kept;
	if (!kept && !g.ncomms && !g.ncgroups && g.duration <= 0)
		g.none_left = true;
}
