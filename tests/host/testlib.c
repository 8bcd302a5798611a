// SPDX-License-Identifier: GPL-2.0
/*
 * testlib.c - helpers shared by the host tests (testlib.h): records built
 * byte by byte at the ABI's documented offsets, fake module directories,
 * and running the reader binary.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

/* ---- records built by hand ----------------------------------------------- */

void put_le(unsigned char *p, size_t off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

/* A header of @size bytes total at @p (the rest zeroed). */
void make_hdr(unsigned char *p, uint32_t size, uint16_t type,
		     uint32_t cpu, uint64_t seq, uint64_t ts)
{
	memset(p, 0, size);
	/* "MTRC" */
	p[0] = 'M';
	p[1] = 'T';
	p[2] = 'R';
	p[3] = 'C';
	put_le(p, O_VERSION, 1, 2);
	put_le(p, O_TYPE, type, 2);
	put_le(p, O_SIZE, size, 4);
	put_le(p, O_CPU, cpu, 4);
	put_le(p, O_SEQ, seq, 8);
	put_le(p, O_TS, ts, 8);
}

void make_sample(unsigned char *p, const struct fig *f)
{
	make_hdr(p, SAMPLE_BYTES, 1, f->cpu, f->seq, f->ts);
	put_le(p, O_TICK, f->tick, 8);
	put_le(p, O_TGID, f->tgid, 4);
	put_le(p, O_FLAGS, f->flags, 4);
	if (f->comm)
		for (size_t i = 0; i < 16 && f->comm[i]; i++)
			p[O_COMM + i] = (unsigned char)f->comm[i];
	put_le(p, O_VSZ, f->vsz, 8);
	put_le(p, O_ANON, f->anon, 8);
	put_le(p, O_FILE, f->file, 8);
	put_le(p, O_SHMEM, f->shmem, 8);
	put_le(p, O_SWAP, f->swap, 8);
	put_le(p, O_HWM, f->hwm, 8);
	put_le(p, O_MINFLT, f->minflt, 8);
	put_le(p, O_MAJFLT, f->majflt, 8);
	put_le(p, O_UTIME, f->utime, 8);
	put_le(p, O_STIME, f->stime, 8);
	put_le(p, O_WSS, f->wss, 8);
	put_le(p, O_WSS_WIN, f->wss_win, 8);
	put_le(p, O_MISSED, f->missed, 8);
}

void make_loss(unsigned char *p, uint32_t cpu, uint64_t seq, uint64_t ts,
	       uint64_t lost, uint64_t total, uint64_t first_seq,
	       uint64_t first_ts, uint64_t last_ts, uint32_t flags)
{
	make_hdr(p, LOSS_BYTES, 2, cpu, seq, ts);
	put_le(p, O_LOST, lost, 8);
	put_le(p, O_LOST_TOTAL, total, 8);
	put_le(p, O_FIRST_SEQ, first_seq, 8);
	put_le(p, O_FIRST_TS, first_ts, 8);
	put_le(p, O_LAST_TS, last_ts, 8);
	put_le(p, O_LFLAGS, flags, 4);
}

const struct fig fig1 = {
	.seq = 0x0102030405060708ull, .ts = 1234567890123ull, .tick = 42,
	.cpu = 3, .tgid = 4242, .flags = 0, .comm = "bash",
	.vsz = 10000, .anon = 100, .file = 200, .shmem = 30, .swap = 4,
	.hwm = 400, .minflt = 5000, .majflt = 6, .utime = 7000000,
	.stime = 800000, .wss = 0, .wss_win = 0, .missed = 9,
};


const char header[sizeof(CSV_HEADER)] = CSV_HEADER;


/* ---- live mode against a fake module directory --------------------------- */

/* The test's directory; short, so "tmpdir/name/file" always fits. */
char tmpdir[256];
const char *reader_bin;

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

void spit(const char *path, const void *p, size_t n, bool append)
{
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
		      0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

void spit_str(const char *dir, const char *name, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	spit(path, s, strlen(s), false);
}

char *read_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return slurp(path, NULL);
}

/* A fresh fake module directory with control files, no cpuN files yet. */
void fake_dir(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "%s/%s", tmpdir, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	spit_str(dir, "enable", "0\n");
	spit_str(dir, "interval_ms", "100\n");
	spit_str(dir, "pids", "");
	spit_str(dir, "comms", "");
	spit_str(dir, "wss_interval_ms", "0\n");
	/* a regular file: opening it for writing always "starts" a session */
	spit_str(dir, "session", "owner_pid: 0\nowner_comm: -\n");
	spit_str(dir, "stats",
		 "records_written: 10\nrecords_dropped: 3\nticks: 5\n"
		 "cpu0_dropped: 1\ncpu2_dropped: 2\n");
}

/*
 * Wait until the reader started on the fake directory @dir has begun its
 * session: it writes "1" to the enable file once it has read the stats file
 * and set its filters, so what a test changes after this (stats, new
 * records) it sees as changes during the session, however loaded the
 * machine.  Fails the test after 30 s.
 */
void wait_started(const char *dir)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 3000; i++) {
		char *s = read_in(dir, "enable");
		bool on = s[0] == '1';

		free(s);
		if (on)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the reader on %s did not write enable=1 within 30 s", dir);
}

/*
 * Start the reader with @args (NULL-terminated, without argv[0]); stdin
 * from @in_fd (inherited when -1), stdout to @out_fd and stderr to @err_fd
 * (files TAG.out / TAG.err in tmpdir when -1).  Returns its pid.
 */
pid_t spawn_reader_fds(const char *const *args, int in_fd, int out_fd,
		       int err_fd, const char *tag)
{
	char outp[PATH_MAX], errp[PATH_MAX];
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	argv[n++] = reader_bin;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/%s.out", tmpdir, tag);
	snprintf(errp, sizeof(errp), "%s/%s.err", tmpdir, tag);
	unlink(outp);
	unlink(errp);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = out_fd >= 0 ? out_fd :
			open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = err_fd >= 0 ? err_fd :
			open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		if (in_fd >= 0 && dup2(in_fd, 0) < 0)
			_exit(127);
		execv(reader_bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The same with stdin inherited and stderr to TAG.err. */
pid_t spawn_reader(const char *const *args, int out_fd, const char *tag)
{
	return spawn_reader_fds(args, -1, out_fd, -1, tag);
}

void run_reader_fsize(const char *const *args, unsigned long limit_bytes,
		      const char *tag, struct run *run)
{
	struct rlimit lim, save;
	pid_t pid;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &save), 0);
	lim = save;
	lim.rlim_cur = limit_bytes;
	signal(SIGXFSZ, SIG_IGN);	/* write() fails with EFBIG instead */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	pid = spawn_reader(args, -1, tag);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &save), 0);
	signal(SIGXFSZ, SIG_DFL);
	wait_reader(pid, tag, run);
}

void want_file(const char *path, const char *want)
{
	char *s = slurp(path, NULL);

	assert_string_equal(s, want);
	free(s);
}

void wait_reader(pid_t pid, const char *tag, struct run *run)
{
	char outp[PATH_MAX], errp[PATH_MAX];
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	run->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	snprintf(outp, sizeof(outp), "%s/%s.out", tmpdir, tag);
	snprintf(errp, sizeof(errp), "%s/%s.err", tmpdir, tag);
	if (access(outp, F_OK))
		spit(outp, "", 0, false);	/* stdout went elsewhere */
	if (access(errp, F_OK))
		spit(errp, "", 0, false);	/* stderr went elsewhere */
	run->out = slurp(outp, &run->out_len);
	run->err = slurp(errp, NULL);
	/* A sanitizer report in the reader fails every test. */
	if (strstr(run->err, "Sanitizer") || strstr(run->err, "runtime error"))
		fail_msg("reader sanitizer report:\n%s", run->err);
}

void run_reader(const char *const *args, const char *tag,
		       struct run *run)
{
	wait_reader(spawn_reader(args, -1, tag), tag, run);
}

void run_free(struct run *run)
{
	free(run->out);
	free(run->err);
}

void check_status(const struct run *run, int want)
{
	if (run->status != want)
		fail_msg("reader exit status %d, want %d; stderr:\n%s",
			 run->status, want, run->err);
}

const char sys_header[] =
	"ts_ns,tick,memtotal_kb,memfree_kb,memavailable_kb,buffers_kb,cached_kb,"
	"shmem_kb,swaptotal_kb,swapfree_kb,committed_as_kb,commitlimit_kb,"
	"anonpages_kb,slab_kb,pgfault,pgmajfault,pswpin,pswpout,pgscan_kswapd,"
	"pgscan_direct,pgsteal_kswapd,pgsteal_direct,allocstall,compact_stall,"
	"oom_kill,workingset_refault_anon,workingset_refault_file,"
	"workingset_activate_anon,workingset_activate_file,thp_fault_alloc,"
	"cpu_user_ns,cpu_nice_ns,cpu_system_ns,cpu_idle_ns,cpu_iowait_ns,"
	"cpu_irq_ns,cpu_softirq_ns,cpu_steal_ns,psi_memory_some_us,"
	"psi_memory_full_us,psi_io_some_us,psi_io_full_us,psi_cpu_some_us,"
	"free_order0,free_order1,free_order2,free_order3,free_order4,"
	"free_order5,free_order6,free_order7,free_order8,free_order9,"
	"free_order10,ticks_missed,cpu,seq\n";

void make_system(unsigned char *p, uint32_t cpu, uint64_t seq, uint64_t ts,
		 uint64_t tick, uint64_t base, uint64_t unknown)
{
	make_hdr(p, SYSTEM_BYTES, 4, cpu, seq, ts);
	put_le(p, O_VERSION, 2, 2);
	put_le(p, O_SYS_TICK, tick, 8);
	put_le(p, O_SYS_NCPUS, 2, 4);
	for (int i = 0; i < SYS_FIGS; i++)
		put_le(p, O_SYS_FIG + 8 * (size_t)i,
		       (unknown >> i) & 1 ? UINT64_MAX : base + (uint64_t)i, 8);
}

void add_system(const char *dir, unsigned int cpu, uint64_t seq, uint64_t ts,
		uint64_t base, uint64_t unknown)
{
	unsigned char b[SYSTEM_BYTES];
	char path[PATH_MAX];

	make_system(b, cpu, seq, ts, ts / 1000, base, unknown);
	snprintf(path, sizeof(path), "%s/cpu%u", dir, cpu);
	spit(path, b, sizeof(b), true);
}

void add_cgroup(const char *dir, uint64_t ts, uint64_t id, const char *path,
		uint64_t base)
{
	unsigned char b[CGROUP_BYTES + 256];
	size_t plen = strlen(path), size = (CGROUP_BYTES + plen + 7) & ~(size_t)7;
	char p[PATH_MAX];

	assert_true(plen <= 256);
	memset(b, 0, sizeof(b));
	make_hdr(b, (uint32_t)size, 5, 0, 0, ts);
	put_le(b, O_VERSION, 3, 2);
	put_le(b, O_CG_TICK, ts / 1000, 8);
	put_le(b, O_CG_ID, id, 8);
	put_le(b, O_CG_PLEN, plen, 4);
	for (int i = 0; i < CG_FIGS; i++)
		put_le(b, O_CG_FIG + 8 * (size_t)i, base + (uint64_t)i, 8);
	memcpy(b + CGROUP_BYTES, path, plen);
	snprintf(p, sizeof(p), "%s/cpu0", dir);
	spit(p, b, size, true);
}

void add_sample(const char *dir, unsigned int cpu, uint64_t seq,
		       uint64_t ts, uint32_t tgid, const char *comm)
{
	unsigned char b[SAMPLE_BYTES];
	char path[PATH_MAX], name[16];
	struct fig f = fig1;

	f.cpu = cpu;
	f.seq = seq;
	f.ts = ts;
	f.tgid = tgid;
	f.tick = ts / 1000;
	f.comm = comm;
	make_sample(b, &f);
	snprintf(name, sizeof(name), "cpu%u", cpu);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	spit(path, b, sizeof(b), true);
}

/* A kernel loss record on @cpu before the sample with seq @seq: seqs
 * @first..@seq-1 lost between @fts and @lts. */
void add_loss(const char *dir, unsigned int cpu, uint64_t seq, uint64_t ts,
	      uint64_t first, uint64_t fts, uint64_t lts, uint64_t total)
{
	unsigned char b[LOSS_BYTES];
	char path[PATH_MAX];

	make_loss(b, cpu, seq, ts, seq - first, total, first, fts, lts, 0);
	snprintf(path, sizeof(path), "%s/cpu%u", dir, cpu);
	spit(path, b, sizeof(b), true);
}

/* The row the reader must print for add_sample(cpu, seq, ts, tgid, comm). */
void want_row(char *dst, size_t len, unsigned int cpu, uint64_t seq,
		     uint64_t ts, uint32_t tgid, const char *comm_field)
{
	snprintf(dst, len,
		 "%llu,%u,%llu,%llu,%u,%s,10000,330,100,200,30,4,400,5000,6,"
		 "7000000,800000,,,9,,,,,,,,,,,,\n",
		 (unsigned long long)ts, cpu, (unsigned long long)seq,
		 (unsigned long long)(ts / 1000), tgid, comm_field);
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int count_prefixed(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", path);
}

/* Set up reader_bin and tmpdir.  0, or 1 (reported). */
int tl_init(const char *prog)
{
	const char *t = getenv("TMPDIR");

	reader_bin = getenv("MEMTRACE_READER");
	if (!reader_bin || access(reader_bin, X_OK)) {
		fprintf(stderr, "%s: set MEMTRACE_READER to the reader binary\n", prog);
		return 1;
	}
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/memtrace-test-XXXXXX",
		     t && *t ? t : "/tmp") >= (int)sizeof(tmpdir) ||
	    !mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	return 0;
}

/* Remove tmpdir when the tests passed, else say where it is. */
void tl_done(int failed)
{
	if (!failed)
		rm_rf(tmpdir);
	else
		fprintf(stderr, "# test files kept in %s\n", tmpdir);
}
