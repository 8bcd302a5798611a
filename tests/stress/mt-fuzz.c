// SPDX-License-Identifier: GPL-2.0
/*
 * mt-fuzz - hostile input for memtrace's control files.
 *
 *   mt-fuzz [-s SEED] [-n OPS] [-t THREADS] [-T SECONDS] [-D DIR] [-P PARAMDIR] [-v]
 *
 *   -s N | --seed=N       random seed (default: from the clock); printed first,
 *                         so a failing run can be repeated with -s
 *   -n N | --ops=N        operations of the sequential phase (default 3000)
 *   -t N | --threads=N    writer threads of the concurrent phase (default 4)
 *   -T S | --seconds=S    length of the concurrent phase (default 5)
 *   -D D | --debugfs=D    memtrace's debugfs directory
 *                         (default /sys/kernel/debug/memtrace)
 *   -P D | --params=D     its module parameters
 *                         (default /sys/module/memtrace/parameters)
 *   -v   | --verbose      print every operation
 *
 * Sequential phase: each operation writes one generated input to one
 * writable file -- the debugfs files enable, interval_ms, wss_interval_ms,
 * pids (and stats and cpu0, which take no writes), and the run-time module
 * parameters interval_ms, wss_interval_ms, wss_budget_pages, wss_tlb_flush.
 * Inputs: valid values, valid values mutated (a byte flipped, inserted,
 * deleted, a NUL inserted), numbers at and around every limit (0, the
 * range ends, 2^31, 2^32, 2^63, 2^64, 10^23) with signs, leading zeros, hex
 * and octal prefixes and white space, random bytes (NULs, 0xa0, control
 * bytes), overlong writes (31 bytes .. 1 MiB), writes from unmapped memory
 * and from a buffer that runs into a PROT_NONE page (EFAULT), zero-length
 * writes, pwrite() at offsets, writev() of several segments, and several
 * write() calls on one open file (each its own command).  Every result
 * (return value and errno) is compared with a model of the documented
 * behaviour (Documentation/memtrace.rst, module/control.c), and after every
 * operation every file is read back and compared with the model's state.
 *
 * Documented behaviour, as modelled:
 *  - debugfs files: one command per write(2); the count must be 1..31
 *    (else EINVAL), no NUL byte (EINVAL), surrounding white space is
 *    stripped (the kernel's isspace(): \t \n \v \f \r space and 0xa0), then
 *    enable takes 0 or 1, interval_ms 1..60000, wss_interval_ms 0 or
 *    10..600000, as plain decimal digits (EINVAL otherwise); pids takes
 *    "clear", "+N" or "-N" with N in 1..2^31-1 plain decimal (EINVAL
 *    otherwise); "+N": ESRCH when no process has tgid N, EINVAL for a kernel
 *    thread; "-N": ENOENT when N is not registered.  All-or-nothing.
 *  - module parameters (sysfs: a write of up to 4096 bytes, read as a C
 *    string): interval_ms 1..60000, wss_interval_ms 0 or 10..600000,
 *    wss_budget_pages 1..2^30, each a decimal number (an optional leading
 *    '+' and one trailing newline are the kernel's kstrto*() convention);
 *    anything else EINVAL.  wss_tlb_flush is a bool parameter
 *    (kstrtobool(): y/Y/1/n/N/0/on/off by the first characters, and
 *    t/T/f/F and e/E/d/D on the lines whose parser takes them: Debian's
 *    5.10 strtobool() takes neither, 6.1's and 6.12's kstrtobool() t/f,
 *    7.2's also e/d (enable/disable).  Learnt once at start from the
 *    parameter itself, see probe_bool()).
 *  - stats and cpuN take no writes (EINVAL).
 *  - pwrite() on a debugfs control file fails with ESPIPE (seq_file files
 *    have no positioned writes); on a parameter it is a write().
 *
 * Concurrent phase: THREADS threads write concurrently to the same files,
 * half of the time through file descriptors they share: random inputs to
 * the single-value files and parameters (each result checked against the
 * input's validity, which does not depend on the state), and +PID/-PID of a
 * child process of their own to pids (each thread's registrations follow
 * its own model); one more thread reads pids and stats all the time and
 * checks their syntax.  At the end every single-value file must hold a value
 * some thread wrote successfully (or its value before), and pids exactly
 * the children the threads left registered.
 *
 * Output: "seed N", then per file "result FILE ops=N mismatches=N
 * accepted=N", each mismatch (at most 5 per file) as "mismatch FILE ...",
 * and a last line "fuzz: ops=N mismatches=N".  Exit status 0 when nothing
 * mismatched, 1 otherwise or on a system error, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXTOK 4100
#define PAGE 4096
#define MAX_THREADS 16

enum fid {
	F_ENABLE, F_INTERVAL, F_WSS, F_PIDS, F_STATS, F_CPU0,
	P_INTERVAL, P_WSS, P_BUDGET, P_TLB, F_NR
};

static const char *const fname[F_NR] = {
	"enable", "interval_ms", "wss_interval_ms", "pids", "stats", "cpu0",
	"param:interval_ms", "param:wss_interval_ms", "param:wss_budget_pages",
	"param:wss_tlb_flush",
};

/* a page followed by a PROT_NONE page, for EFAULT in the middle of a buffer */
static unsigned char *guard;

static char dbg_dir[256] = "/sys/kernel/debug/memtrace";
static char par_dir[256] = "/sys/module/memtrace/parameters";
static bool verbose;
/* the kernel's bool parser takes t/T/f/F, e/E/d/D (probe_bool()) */
static bool bool_tf, bool_ed;

static bool is_param(int f) { return f >= P_INTERVAL; }

/* ---- the model of the state ---------------------------------------------- */

struct state {
	unsigned int enable, interval, wss, budget;
	bool tlb;
	/* registered tgids, ascending */
	int pids[256];
	int npids;
};

static struct state model;

/* ---- results, per file ---------------------------------------------------- */

static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_ops[F_NR], n_mis[F_NR], n_acc[F_NR];
static unsigned long total_mis;

static void mismatch(int f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&res_lock);
	n_mis[f]++;
	total_mis++;
	if (n_mis[f] <= 5) {
		printf("mismatch %s: ", fname[f]);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
	pthread_mutex_unlock(&res_lock);
}

/* printable form of an input, for messages */
static const char *show(const unsigned char *b, size_t n, char *out, size_t cap)
{
	size_t i, o = 0, lim = n > 48 ? 48 : n;

	if (!b)
		return "(unmapped address)";
	if ((uintptr_t)b >= 0xffff800000000000UL)
		return "(kernel address)";
	if ((uintptr_t)b / PAGE == (uintptr_t)guard / PAGE) {
		snprintf(out, cap, "(%zu bytes running into a PROT_NONE page)", n);
		return out;
	}
	out[o++] = '"';
	for (i = 0; i < lim && o + 8 < cap; i++) {
		unsigned char c = b[i];

		if (c == '\n')
			o += snprintf(out + o, cap - o, "\\n");
		else if (c == '\\' || c == '"')
			o += snprintf(out + o, cap - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o++] = '"';
	out[o] = '\0';
	if (n > lim)
		snprintf(out + o, cap - o, "...(%zu bytes)", n);
	return out;
}

static const char *ename(int e)
{
	static __thread char b[16];

	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case ERANGE: return "ERANGE";
	case ENOSPC: return "ENOSPC";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case E2BIG: return "E2BIG";
	case EOVERFLOW: return "EOVERFLOW";
	case ESPIPE: return "ESPIPE";
	default:
		snprintf(b, sizeof(b), "errno%d", e);
		return b;
	}
}

/* ---- random numbers: xorshift64*, per thread ------------------------------ */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned int rn(uint64_t *s, unsigned int n) { return n ? (unsigned int)(rnd(s) % n) : 0; }

/* ---- process classes for pids ---------------------------------------------- */

enum pclass { PC_NONE, PC_PROC, PC_THREAD, PC_KTHREAD };

static enum pclass pid_class(long nr)
{
	char path[64], buf[1024], *p;
	long tgid = -1;
	unsigned long flags = 0;
	FILE *f;
	int i;

	if (nr <= 0 || nr > 4194304)
		return PC_NONE;
	snprintf(path, sizeof(path), "/proc/%ld/status", nr);
	f = fopen(path, "r");
	if (!f)
		return PC_NONE;
	while (fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "Tgid:", 5))
			tgid = strtol(buf + 5, NULL, 10);
	fclose(f);
	if (tgid != nr)
		return tgid < 0 ? PC_NONE : PC_THREAD;
	snprintf(path, sizeof(path), "/proc/%ld/stat", nr);
	f = fopen(path, "r");
	if (!f)
		return PC_NONE;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return PC_NONE;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* ") S ppid pgrp session tty_nr tpgid flags": flags is field 9 */
	for (i = 0; p && i < 7; i++)
		p = strchr(p + 1, ' ');
	if (p)
		flags = strtoul(p + 1, NULL, 10);
	return flags & 0x00200000 ? PC_KTHREAD : PC_PROC;
}

/* ---- the expected outcome of one command ---------------------------------- */

static bool kspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* decimal digits to a value; false on overflow beyond @max */
static bool dec(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	for (; *s; s++) {
		if (x > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/*
 * What a debugfs control file does with the bytes of one write(2): returns
 * the expected errno (0 = accepted) and applies the change to @st.  @pc is
 * the class of the PID a "+N" names, looked up by the caller; -1 = not
 * looked up yet (then *need_pc is set to the PID and EAGAIN returned).
 */
static int dbg_cmd(int f, const unsigned char *b, size_t n, struct state *st,
		   long *need_pid, int pc)
{
	char tok[40];
	size_t i, s, e;
	uint64_t v;

	if (f == F_STATS || f == F_CPU0)
		return EINVAL;
	if (n == 0 || n >= 32)
		return EINVAL;
	if (memchr(b, 0, n))
		return EINVAL;
	for (s = 0; s < n && kspace(b[s]); s++)
		;
	for (e = n; e > s && kspace(b[e - 1]); e--)
		;
	if (s == e)
		return EINVAL;
	for (i = s; i < e; i++)
		tok[i - s] = (char)b[i];
	tok[e - s] = '\0';

	switch (f) {
	case F_ENABLE:
		if (!all_digits(tok) || !dec(tok, UINT32_MAX, &v) || v > 1)
			return EINVAL;
		st->enable = (unsigned int)v;
		return 0;
	case F_INTERVAL:
		if (!all_digits(tok) || !dec(tok, UINT32_MAX, &v) || v < 1 || v > 60000)
			return EINVAL;
		st->interval = (unsigned int)v;
		return 0;
	case F_WSS:
		if (!all_digits(tok) || !dec(tok, UINT32_MAX, &v) ||
		    (v && (v < 10 || v > 600000)))
			return EINVAL;
		st->wss = (unsigned int)v;
		return 0;
	case F_PIDS:
		if (!strcmp(tok, "clear")) {
			st->npids = 0;
			return 0;
		}
		if ((tok[0] != '+' && tok[0] != '-') || !all_digits(tok + 1) ||
		    !dec(tok + 1, UINT32_MAX, &v) || v == 0 || v > INT32_MAX)
			return EINVAL;
		if (tok[0] == '-') {
			for (i = 0; i < (size_t)st->npids; i++)
				if (st->pids[i] == (int)v)
					break;
			if (i == (size_t)st->npids)
				return ENOENT;
			memmove(&st->pids[i], &st->pids[i + 1],
				(st->npids - i - 1) * sizeof(int));
			st->npids--;
			return 0;
		}
		if (pc < 0) {
			*need_pid = (long)v;
			return EAGAIN;
		}
		if (pc == PC_NONE || pc == PC_THREAD)
			return ESRCH;
		if (pc == PC_KTHREAD)
			return EINVAL;
		for (i = 0; i < (size_t)st->npids && st->pids[i] < (int)v; i++)
			;
		if (i < (size_t)st->npids && st->pids[i] == (int)v)
			return 0;
		if (st->npids == 256)
			return ENOSPC; /* the model's limit, never reached */
		memmove(&st->pids[i + 1], &st->pids[i], (st->npids - i) * sizeof(int));
		st->pids[i] = (int)v;
		st->npids++;
		return 0;
	}
	return EINVAL;
}

/*
 * kstrtouint(s, 10) as module parameters use it: an optional '+', decimal
 * digits, one optional trailing newline.
 */
static bool kstrtou(const char *s, uint64_t max, uint64_t *v)
{
	char d[MAXTOK];
	size_t n;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n && s[n - 1] == '\n')
		n--;
	if (!n || n >= sizeof(d))
		return false;
	memcpy(d, s, n);
	d[n] = '\0';
	return all_digits(d) && dec(d, max, v);
}

/*
 * What a module parameter does with the bytes of one write: sysfs hands at
 * most 4096 bytes to the parameter as a C string (so it ends at the first
 * NUL); a zero-length write returns 0.  *ret_len is the expected return value
 * on success.
 */
static int par_cmd(int f, const unsigned char *b, size_t n, struct state *st,
		   size_t *ret_len)
{
	char s[PAGE + 1];
	size_t len = n > PAGE ? PAGE : n;
	uint64_t v;

	*ret_len = len;
	if (n == 0)
		return 0;
	memcpy(s, b, len);
	s[len] = '\0';
	switch (f) {
	case P_INTERVAL:
		if (!kstrtou(s, UINT32_MAX, &v) || v < 1 || v > 60000)
			return EINVAL;
		st->interval = (unsigned int)v;
		return 0;
	case P_WSS:
		if (!kstrtou(s, UINT32_MAX, &v) || (v && (v < 10 || v > 600000)))
			return EINVAL;
		st->wss = (unsigned int)v;
		return 0;
	case P_BUDGET:
		if (!kstrtou(s, UINT32_MAX, &v) || v < 1 || v > (1U << 30))
			return EINVAL;
		st->budget = (unsigned int)v;
		return 0;
	case P_TLB:
		switch (s[0]) {
		case 't': case 'T': case 'f': case 'F':
			if (!bool_tf)
				return EINVAL;
			st->tlb = s[0] == 't' || s[0] == 'T';
			return 0;
		case 'e': case 'E': case 'd': case 'D':
			if (!bool_ed)
				return EINVAL;
			st->tlb = s[0] == 'e' || s[0] == 'E';
			return 0;
		case 'y': case 'Y': case '1':
			st->tlb = true;
			return 0;
		case 'n': case 'N': case '0':
			st->tlb = false;
			return 0;
		case 'o': case 'O':
			if (s[1] == 'n' || s[1] == 'N') {
				st->tlb = true;
				return 0;
			}
			if (s[1] == 'f' || s[1] == 'F') {
				st->tlb = false;
				return 0;
			}
		}
		return EINVAL;
	}
	return EINVAL;
}

/* ---- files ----------------------------------------------------------------- */

static void path_of(int f, char *p, size_t cap)
{
	static const char *const pn[] = { "interval_ms", "wss_interval_ms",
					  "wss_budget_pages", "wss_tlb_flush" };

	if (is_param(f))
		snprintf(p, cap, "%s/%s", par_dir, pn[f - P_INTERVAL]);
	else
		snprintf(p, cap, "%s/%s", dbg_dir, fname[f]);
}

static int open_file(int f, int flags)
{
	char p[512];

	path_of(f, p, sizeof(p));
	return open(p, flags | O_CLOEXEC);
}

/* read a whole file with reads of random small sizes; -1 on error */
static ssize_t read_all(int f, char *buf, size_t cap, uint64_t *rs)
{
	size_t got = 0;
	ssize_t r;
	int fd = open_file(f, O_RDONLY);

	if (fd < 0)
		return -1;
	for (;;) {
		size_t want = rs ? 1 + rn(rs, 64) : cap - 1 - got;

		if (want > cap - 1 - got)
			want = cap - 1 - got;
		if (!want)
			break;
		r = read(fd, buf + got, want);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (!r)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* the state as the files show it */
static bool read_state(struct state *st, uint64_t *rs)
{
	char b[8192], *p, *e;
	long v;

	memset(st, 0, sizeof(*st));
	if (read_all(F_ENABLE, b, sizeof(b), rs) < 0)
		return false;
	st->enable = (unsigned int)strtoul(b, NULL, 10);
	if (read_all(F_INTERVAL, b, sizeof(b), rs) < 0)
		return false;
	st->interval = (unsigned int)strtoul(b, NULL, 10);
	if (read_all(F_WSS, b, sizeof(b), rs) < 0)
		return false;
	st->wss = (unsigned int)strtoul(b, NULL, 10);
	if (read_all(P_BUDGET, b, sizeof(b), rs) < 0)
		return false;
	st->budget = (unsigned int)strtoul(b, NULL, 10);
	if (read_all(P_TLB, b, sizeof(b), rs) < 0)
		return false;
	st->tlb = b[0] == 'Y';
	if (read_all(F_PIDS, b, sizeof(b), rs) < 0)
		return false;
	for (p = b; *p && st->npids < 256; p = e) {
		v = strtol(p, &e, 10);
		if (e == p || *e != '\n')
			return false;
		e++;
		st->pids[st->npids++] = (int)v;
	}
	return true;
}

static bool same_state(const struct state *a, const struct state *b, char *why, size_t cap)
{
	int i;

	if (a->enable != b->enable || a->interval != b->interval || a->wss != b->wss ||
	    a->budget != b->budget || a->tlb != b->tlb || a->npids != b->npids) {
		snprintf(why, cap, "enable %u/%u interval %u/%u wss %u/%u budget %u/%u tlb %d/%d npids %d/%d (files/model)",
			 a->enable, b->enable, a->interval, b->interval, a->wss, b->wss,
			 a->budget, b->budget, a->tlb, b->tlb, a->npids, b->npids);
		return false;
	}
	for (i = 0; i < a->npids; i++)
		if (a->pids[i] != b->pids[i]) {
			snprintf(why, cap, "pids differ at %d: %d/%d (files/model)", i,
				 a->pids[i], b->pids[i]);
			return false;
		}
	return true;
}

/* ---- input generation ------------------------------------------------------ */

static const char *const edges[] = {
	"0", "1", "2", "9", "10", "11", "59999", "60000", "60001", "599999",
	"600000", "600001", "1073741823", "1073741824", "1073741825",
	"2147483647", "2147483648", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999",
};
static const char *const prefixes[] = {
	"", "", "", "+", "-", "--", "+-", "0x", "0X", "0", "00000", " ", "\t",
	"\n", "\xa0", "\v",
};
static const char *const suffixes[] = {
	"", "", "", "\n", "\n\n", " ", "\t", "x", "\0" "5", "\r", "\xa0", "1",
};

struct input {
	unsigned char *buf; /* NULL: unmapped address */
	size_t len;
	int kind; /* 0 plain, 1 unmapped, 2 into PROT_NONE, 3 kernel address */
};

static int pids_cand[8];
static int n_cand;

static size_t gen_valid(int f, uint64_t *rs, char *o)
{
	static const char *const bools[] = { "Y", "N", "y", "n", "1", "0", "on", "off", "Yes" };

	switch (f) {
	case F_ENABLE:
		return (size_t)sprintf(o, "%u", rn(rs, 2));
	case F_INTERVAL:
	case P_INTERVAL:
		return (size_t)sprintf(o, "%u", rn(rs, 4) ? 1 + rn(rs, 50) : 1 + rn(rs, 60000));
	case F_WSS:
	case P_WSS:
		return (size_t)sprintf(o, "%u", rn(rs, 3) ? 0 : 10 + rn(rs, 599991));
	case P_BUDGET:
		return (size_t)sprintf(o, "%u", 1 + rn(rs, 1U << 30));
	case P_TLB:
		return (size_t)sprintf(o, "%s", bools[rn(rs, 9)]);
	case F_PIDS:
		switch (rn(rs, 6)) {
		case 0:
			return (size_t)sprintf(o, "clear");
		case 1:
			return (size_t)sprintf(o, "+%u", 1 + rn(rs, 200));
		case 2:
			return (size_t)sprintf(o, "-%u", 1 + rn(rs, 200));
		default:
			return (size_t)sprintf(o, "%c%d", rn(rs, 3) ? '+' : '-',
					       pids_cand[rn(rs, (unsigned int)n_cand)]);
		}
	}
	return (size_t)sprintf(o, "%u", rn(rs, 100));
}

static void gen(int f, uint64_t *rs, struct input *in, unsigned char *store)
{
	char v[64];
	size_t n, i, k;

	in->buf = store;
	in->kind = 0;
	switch (rn(rs, 16)) {
	case 0: case 1: case 2: case 3: /* valid, decorated */
		n = gen_valid(f, rs, v);
		k = 0;
		if (!rn(rs, 4))
			k += (size_t)sprintf((char *)store, "%s", prefixes[11 + rn(rs, 5)]);
		if (!rn(rs, 5))
			for (i = rn(rs, 4); i > 0 && v[0] >= '0' && v[0] <= '9'; i--)
				store[k++] = '0';
		memcpy(store + k, v, n);
		k += n;
		if (rn(rs, 2))
			store[k++] = '\n';
		in->len = k;
		break;
	case 4: case 5: case 6: /* valid, mutated */
		n = gen_valid(f, rs, v);
		memcpy(store, v, n);
		k = rn(rs, (unsigned int)n + 1);
		switch (rn(rs, 4)) {
		case 0:
			if (n)
				store[rn(rs, (unsigned int)n)] ^= (unsigned char)(1 << rn(rs, 8));
			break;
		case 1:
			memmove(store + k + 1, store + k, n - k);
			store[k] = rn(rs, 3) ? (unsigned char)rnd(rs) : 0;
			n++;
			break;
		case 2:
			if (k < n) {
				memmove(store + k, store + k + 1, n - k - 1);
				n--;
			}
			break;
		case 3:
			memmove(store + k + 1, store + k, n - k);
			store[k] = 0;
			n++;
			break;
		}
		in->len = n;
		break;
	case 7: case 8: case 9: { /* numbers at the limits */
		const char *p = prefixes[rn(rs, sizeof(prefixes) / sizeof(*prefixes))];
		const char *e = edges[rn(rs, sizeof(edges) / sizeof(*edges))];
		unsigned int si = rn(rs, sizeof(suffixes) / sizeof(*suffixes));
		size_t sl = si == 8 ? 2 : strlen(suffixes[si]);

		k = 0;
		if (f == F_PIDS && rn(rs, 2))
			store[k++] = rn(rs, 2) ? '+' : '-';
		memcpy(store + k, p, strlen(p));
		k += strlen(p);
		memcpy(store + k, e, strlen(e));
		k += strlen(e);
		memcpy(store + k, suffixes[si], sl);
		k += sl;
		in->len = k;
		break;
	}
	case 10: case 11: { /* random bytes */
		static const char alpha[] = "0123456789+-clearxXyYnNoOfF \t\n";

		n = rn(rs, 41);
		for (i = 0; i < n; i++) {
			unsigned int c = rn(rs, 20);

			store[i] = c < 12 ? (unsigned char)alpha[rn(rs, sizeof(alpha) - 1)] :
				   c < 13 ? 0 : c < 14 ? 0xa0 : (unsigned char)rnd(rs);
		}
		in->len = n;
		break;
	}
	case 12: { /* overlong */
		static const size_t lens[] = { 31, 32, 33, 64, 4095, 4096, 4097, 8192, 65536, 1 << 20 };
		size_t L = lens[rn(rs, 10)];

		n = gen_valid(f, rs, v);
		if (L < n)
			L = n;
		if (rn(rs, 2) && v[0] >= '0' && v[0] <= '9') {
			memset(store, '0', L - n); /* leading zeros, value at the end */
			memcpy(store + L - n, v, n);
		} else {
			memcpy(store, v, n); /* value, then white space */
			memset(store + n, rn(rs, 2) ? ' ' : '\n', L - n);
		}
		in->len = L;
		break;
	}
	case 13: /* EFAULT */
		n = gen_valid(f, rs, v);
		switch (rn(rs, 3)) {
		case 0:
			in->buf = NULL;
			in->kind = 1;
			in->len = 1 + rn(rs, 8);
			break;
		case 1: /* starts on a good page, runs into PROT_NONE */
			k = 1 + rn(rs, (unsigned int)n);
			in->buf = guard + PAGE - k;
			memcpy(in->buf, v, k);
			in->len = n + 1 + rn(rs, 4);
			in->kind = 2;
			break;
		default:
			in->buf = (unsigned char *)0xffffffff81000000UL;
			in->len = n;
			in->kind = 3;
			break;
		}
		break;
	case 14: /* zero-length */
		in->len = 0;
		break;
	default: /* a few bytes of anything */
		n = 1 + rn(rs, 4);
		for (i = 0; i < n; i++)
			store[i] = (unsigned char)rnd(rs);
		in->len = n;
		break;
	}
}

/* ---- one checked write ------------------------------------------------------- */

/*
 * The expected result of writing @in to @f: *eerr (0 or errno) and
 * *eret (return value on success); applies the change to @st.  @pc: the
 * class of the PID a "+N" names (see dbg_cmd()).
 */
static void expect(int f, const struct input *in, struct state *st, int *eerr,
		   ssize_t *eret, int pc)
{
	long need = 0;
	size_t rl = 0;

	*eret = (ssize_t)in->len;
	if (in->kind == 3) { /* kernel address: vfs_write()'s access_ok() fails */
		*eerr = (f == F_STATS || f == F_CPU0) ? EINVAL : EFAULT;
		return;
	}
	if (in->kind == 1 || in->kind == 2) {
		if (f == F_STATS || f == F_CPU0)
			*eerr = EINVAL;
		else if (is_param(f))
			*eerr = EFAULT;
		else
			*eerr = (in->len == 0 || in->len >= 32) ? EINVAL : EFAULT;
		return;
	}
	if (is_param(f)) {
		*eerr = par_cmd(f, in->buf, in->len, st, &rl);
		*eret = (ssize_t)rl;
		return;
	}
	*eerr = dbg_cmd(f, in->buf, in->len, st, &need, pc);
}

/* the PID a pids command would look up, or 0 */
static long cmd_pid(int f, const struct input *in)
{
	struct state tmp;
	long need = 0;

	if (f != F_PIDS || in->kind)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	if (dbg_cmd(f, in->buf, in->len, &tmp, &need, -1) == EAGAIN)
		return need;
	return 0;
}

static bool check_write(int f, int fd, const struct input *in, struct state *st,
			const char *how)
{
	char s1[160];
	long pid = cmd_pid(f, in);
	int pc = pid ? (int)pid_class(pid) : -1, eerr, err;
	struct state before = *st;
	ssize_t r, eret;

	expect(f, in, st, &eerr, &eret, pc);
	r = write(fd, in->buf, in->len);
	err = r < 0 ? errno : 0;
	if (pid && (int)pid_class(pid) != pc) {
		*st = before; /* raced with an exit: unpredictable, re-read */
		return true;
	}
	if (verbose)
		printf("op %s %s %s -> %zd %s\n", fname[f], how,
		       show(in->buf, in->len, s1, sizeof(s1)), r, ename(err));
	if (err != eerr || (!err && r != eret)) {
		mismatch(f, "%s %s: got %zd %s, want %s%s", how,
			 show(in->buf, in->len, s1, sizeof(s1)), r, ename(err),
			 eerr ? "-1 " : "", eerr ? ename(eerr) : "the byte count");
		/* resynchronise the model with the files */
		return false;
	}
	if (!err) {
		pthread_mutex_lock(&res_lock);
		n_acc[f]++;
		pthread_mutex_unlock(&res_lock);
	}
	return true;
}

/* ---- the sequential phase ---------------------------------------------------- */

static int pick_file(uint64_t *rs)
{
	static const int w[] = { F_ENABLE, F_ENABLE, F_INTERVAL, F_INTERVAL, F_WSS, F_WSS,
				 F_PIDS, F_PIDS, F_PIDS, F_STATS, F_CPU0, P_INTERVAL,
				 P_WSS, P_BUDGET, P_TLB };

	return w[rn(rs, sizeof(w) / sizeof(*w))];
}

static void sequential(unsigned long ops, uint64_t *rs, unsigned char *store)
{
	struct state files;
	struct input in;
	char why[256];
	unsigned long i;
	int f, fd, k;

	for (i = 0; i < ops; i++) {
		f = pick_file(rs);
		fd = open_file(f, O_WRONLY);
		if (fd < 0) {
			mismatch(f, "open for writing: %s", strerror(errno));
			continue;
		}
		/* one to four commands on the same open file */
		k = rn(rs, 4) ? 1 : 2 + (int)rn(rs, 3);
		while (k-- > 0) {
			n_ops[f]++;
			gen(f, rs, &in, store);
			if (!check_write(f, fd, &in, &model, k ? "write(multi)" : "write"))
				read_state(&model, NULL);
		}
		close(fd);
		/* pwrite at an offset: ESPIPE on debugfs, a write() on sysfs */
		if (!rn(rs, 16) && f != F_STATS && f != F_CPU0) {
			struct state tmp = model;
			long pid;
			int eerr, err, pc;
			ssize_t r, eret;
			off_t off = rn(rs, 2) ? (off_t)rn(rs, 100000) : (off_t)1 << 40;

			fd = open_file(f, O_WRONLY);
			gen(f, rs, &in, store);
			if (in.kind == 0) {
				n_ops[f]++;
				pid = cmd_pid(f, &in);
				pc = pid ? (int)pid_class(pid) : -1;
				expect(f, &in, &tmp, &eerr, &eret, pc);
				if (!is_param(f)) {
					tmp = model;
					eerr = ESPIPE;
				}
				r = pwrite(fd, in.buf, in.len, off);
				err = r < 0 ? errno : 0;
				if (err != eerr || (!err && r != eret)) {
					char s1[160];

					mismatch(f, "pwrite at %lld %s: got %zd %s, want %s",
						 (long long)off, show(in.buf, in.len, s1, sizeof(s1)),
						 r, ename(err), ename(eerr));
					read_state(&model, NULL);
				} else {
					model = tmp;
				}
			}
			close(fd);
		}
		/* writev of two or three segments */
		if (!rn(rs, 16) && f != F_STATS && f != F_CPU0) {
			unsigned char segs[3][48];
			struct iovec iov[3];
			struct state tmp = model;
			ssize_t r, want = 0;
			int nseg = 2 + (int)rn(rs, 2), s, err, werr = 0;
			char cat[160];
			size_t catn = 0;

			fd = open_file(f, O_WRONLY);
			for (s = 0; s < nseg; s++) {
				char v[64];
				size_t n = gen_valid(f, rs, v);

				if (rn(rs, 3) == 0)
					v[n++] = 'x';
				memcpy(segs[s], v, n);
				iov[s].iov_base = segs[s];
				iov[s].iov_len = n;
				memcpy(cat + catn, v, n);
				catn += n;
			}
			n_ops[f]++;
			if (is_param(f)) {
				/* sysfs: the segments form one buffer, one value */
				size_t rl;

				werr = par_cmd(f, (unsigned char *)cat, catn, &tmp, &rl);
				want = (ssize_t)rl;
			} else {
				/* .write is called once per segment, until one fails */
				for (s = 0; s < nseg; s++) {
					long need = 0;
					struct input one = { segs[s], iov[s].iov_len, 0 };
					long pid = cmd_pid(f, &one);
					int e = dbg_cmd(f, segs[s], iov[s].iov_len, &tmp, &need,
							pid ? (int)pid_class(pid) : -1);

					if (e) {
						if (!want)
							werr = e;
						break;
					}
					want += (ssize_t)iov[s].iov_len;
				}
			}
			r = writev(fd, iov, nseg);
			err = r < 0 ? errno : 0;
			if (err != werr || (!err && r != want)) {
				char s1[200];

				mismatch(f, "writev of %d segments %s: got %zd %s, want %zd %s",
					 nseg, show((unsigned char *)cat, catn, s1, sizeof(s1)),
					 r, ename(err), werr ? (ssize_t)-1 : want, ename(werr));
				read_state(&model, NULL);
			} else {
				model = tmp;
			}
			close(fd);
		}
		if (!read_state(&files, rn(rs, 8) ? NULL : rs)) {
			mismatch(f, "reading the files back failed or pids is malformed");
			read_state(&model, NULL);
			continue;
		}
		/* registered processes that exited drop out: not a mismatch */
		for (k = 0; k < model.npids; k++) {
			int j;

			for (j = 0; j < files.npids; j++)
				if (files.pids[j] == model.pids[k])
					break;
			if (j == files.npids && pid_class(model.pids[k]) != PC_PROC) {
				memmove(&model.pids[k], &model.pids[k + 1],
					(model.npids - k - 1) * sizeof(int));
				model.npids--;
				k--;
			}
		}
		if (!same_state(&files, &model, why, sizeof(why))) {
			mismatch(f, "after op %lu the state is not the model's: %s", i, why);
			model = files;
		}
	}
}

/* ---- the concurrent phase ------------------------------------------------------ */

/* a set of accepted values */
struct vals {
	unsigned int *v;
	size_t n, cap;
};

static void vals_add(struct vals *s, unsigned int v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			perror("mt-fuzz: realloc");
			exit(1);
		}
	}
	s->v[s->n++] = v;
}

struct thr {
	pthread_t t;
	uint64_t rs;
	int child;         /* a process of our own to register */
	bool registered;
	unsigned long ops;
	struct vals acc[F_NR]; /* values accepted per single-value file */
};

static int shared_fd[F_NR];
static volatile int conc_stop;
static int *conc_children;
static int conc_nchildren;

/*
 * The syntax of a pids command: 0 malformed, 1 "+N"/"-N" (sets *sign, *nr),
 * 2 "clear".
 */
static int pids_syntax(const struct input *in, char *sign, long *nr)
{
	struct state probe;
	long need = 0, v = 0;
	size_t i;
	int r;

	if (in->kind)
		return 0;
	memset(&probe, 0, sizeof(probe));
	r = dbg_cmd(F_PIDS, in->buf, in->len, &probe, &need, -1);
	if (r == 0)
		return 2; /* on an empty set only "clear" succeeds without a lookup */
	if (r == EAGAIN) {
		*sign = '+';
		*nr = need;
		return 1;
	}
	if (r != ENOENT)
		return 0;
	for (i = 0; i < in->len && kspace(in->buf[i]); i++)
		;
	for (i++; i < in->len && in->buf[i] >= '0' && in->buf[i] <= '9'; i++)
		v = v * 10 + (in->buf[i] - '0');
	*sign = '-';
	*nr = v;
	return 1;
}

static bool is_child(long nr)
{
	int i;

	for (i = 0; i < conc_nchildren; i++)
		if (conc_children[i] == nr)
			return true;
	return false;
}

static void *conc_writer(void *arg)
{
	struct thr *t = arg;
	static const int files[] = { F_ENABLE, F_INTERVAL, F_WSS, F_PIDS, F_PIDS,
				     P_INTERVAL, P_WSS, P_BUDGET, P_TLB };
	unsigned char *store = malloc((1 << 20) + 64);
	struct input in;
	char s1[160];

	if (!store)
		return NULL;
	while (!conc_stop) {
		int f = files[rn(&t->rs, sizeof(files) / sizeof(*files))];
		bool own = f == F_PIDS && rn(&t->rs, 2);
		int fd = -1, eerr, err, pc = -1;
		struct state tmp;
		ssize_t r, eret;
		char sign = 0;
		long nr = 0;

		memset(&tmp, 0, sizeof(tmp));
		if (own) {
			char v[24];
			int n = sprintf(v, "%c%d\n", rn(&t->rs, 2) ? '+' : '-', t->child);

			memcpy(store, v, (size_t)n);
			in.buf = store;
			in.len = (size_t)n;
			in.kind = 0;
			tmp.npids = t->registered ? 1 : 0;
			tmp.pids[0] = t->child;
			pc = PC_PROC;
		} else {
			gen(f, &t->rs, &in, store);
		}
		if (f == F_PIDS && !own) {
			/*
			 * Only commands whose outcome does not depend on the
			 * other threads: no "clear", no "+N" that would
			 * register a process, no "-N" of a child.
			 */
			int syn = pids_syntax(&in, &sign, &nr);

			if (syn == 2)
				continue;
			if (syn == 1 && sign == '-' && is_child(nr))
				continue;
			if (syn == 1 && sign == '+') {
				pc = (int)pid_class(nr);
				if (pc == PC_PROC)
					continue;
			}
		}
		if (rn(&t->rs, 2) && shared_fd[f] >= 0)
			fd = shared_fd[f];
		else
			fd = open_file(f, O_WRONLY);
		if (fd < 0)
			continue;
		t->ops++;
		expect(f, &in, &tmp, &eerr, &eret, pc);
		r = write(fd, in.buf, in.len);
		err = r < 0 ? errno : 0;
		if (fd != shared_fd[f])
			close(fd);
		if (sign == '+' && (int)pid_class(nr) != pc)
			continue; /* raced with a process coming or going */
		pthread_mutex_lock(&res_lock);
		n_ops[f]++;
		if (!err)
			n_acc[f]++;
		pthread_mutex_unlock(&res_lock);
		if (err != eerr || (!err && r != eret)) {
			mismatch(f, "concurrent %s: got %zd %s, want %s",
				 show(in.buf, in.len, s1, sizeof(s1)), r, ename(err),
				 eerr ? ename(eerr) : "the byte count");
			continue;
		}
		if (err || !in.len)
			continue;
		switch (f) {
		case F_ENABLE: vals_add(&t->acc[f], tmp.enable); break;
		case F_INTERVAL: case P_INTERVAL: vals_add(&t->acc[f], tmp.interval); break;
		case F_WSS: case P_WSS: vals_add(&t->acc[f], tmp.wss); break;
		case P_BUDGET: vals_add(&t->acc[f], tmp.budget); break;
		case P_TLB: vals_add(&t->acc[f], tmp.tlb); break;
		case F_PIDS: if (own) t->registered = tmp.npids == 1; break;
		}
	}
	free(store);
	return NULL;
}

static void *conc_reader(void *arg)
{
	char b[8192], *p, *e;
	uint64_t rs = (uint64_t)(uintptr_t)arg | 1;
	long prev;

	while (!conc_stop) {
		if (read_all(F_PIDS, b, sizeof(b), rn(&rs, 2) ? &rs : NULL) >= 0) {
			prev = 0;
			for (p = b; *p; p = e + 1) {
				long v = strtol(p, &e, 10);

				if (e == p || *e != '\n' || v <= prev) {
					mismatch(F_PIDS, "concurrent read: malformed or unsorted pids file");
					break;
				}
				prev = v;
			}
		}
		if (read_all(F_STATS, b, sizeof(b), rn(&rs, 2) ? &rs : NULL) >= 0) {
			for (p = b; *p; p = e + 1) {
				char *c = strchr(p, ':');

				e = strchr(p, '\n');
				if (!e || !c || c > e || c[1] != ' ' || c[2] < '0' || c[2] > '9') {
					mismatch(F_STATS, "concurrent read: malformed stats line");
					break;
				}
			}
		}
	}
	return NULL;
}

static bool in_acc(struct thr *t, int nt, int f, unsigned int v)
{
	size_t j;
	int i;

	for (i = 0; i < nt; i++)
		for (j = 0; j < t[i].acc[f].n; j++)
			if (t[i].acc[f].v[j] == v)
				return true;
	return false;
}

static void concurrent(int nt, double secs, uint64_t seed, int *children)
{
	struct thr *t = calloc((size_t)nt, sizeof(*t));
	struct state before, after;
	pthread_t rd;
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };
	int i, f, fd;

	if (!t) {
		perror("calloc");
		exit(1);
	}
	fd = open_file(F_PIDS, O_WRONLY);
	if (fd < 0 || write(fd, "clear", 5) != 5)
		mismatch(F_PIDS, "clear before the concurrent phase failed");
	if (fd >= 0)
		close(fd);
	read_state(&before, NULL);
	for (f = 0; f < F_NR; f++)
		shared_fd[f] = (f == F_STATS || f == F_CPU0) ? -1 : open_file(f, O_WRONLY);
	conc_children = children;
	conc_nchildren = nt;
	for (i = 0; i < nt; i++) {
		t[i].rs = seed * 7919 + (uint64_t)i * 104729 + 1;
		t[i].child = children[i];
		pthread_create(&t[i].t, NULL, conc_writer, &t[i]);
	}
	pthread_create(&rd, NULL, conc_reader, (void *)(uintptr_t)(seed + 99));
	nanosleep(&ts, NULL);
	conc_stop = 1;
	for (i = 0; i < nt; i++)
		pthread_join(t[i].t, NULL);
	pthread_join(rd, NULL);
	for (f = 0; f < F_NR; f++)
		if (shared_fd[f] >= 0)
			close(shared_fd[f]);

	if (!read_state(&after, NULL)) {
		mismatch(F_PIDS, "final read failed");
		return;
	}
	if (after.enable != before.enable && !in_acc(t, nt, F_ENABLE, after.enable))
		mismatch(F_ENABLE, "after the concurrent phase: %u was never written", after.enable);
	if (after.interval != before.interval && !in_acc(t, nt, F_INTERVAL, after.interval) &&
	    !in_acc(t, nt, P_INTERVAL, after.interval))
		mismatch(F_INTERVAL, "after the concurrent phase: %u was never written", after.interval);
	if (after.wss != before.wss && !in_acc(t, nt, F_WSS, after.wss) &&
	    !in_acc(t, nt, P_WSS, after.wss))
		mismatch(F_WSS, "after the concurrent phase: %u was never written", after.wss);
	if (after.budget != before.budget && !in_acc(t, nt, P_BUDGET, after.budget))
		mismatch(P_BUDGET, "after the concurrent phase: %u was never written", after.budget);
	if (after.tlb != before.tlb && !in_acc(t, nt, P_TLB, after.tlb))
		mismatch(P_TLB, "after the concurrent phase: %d was never written", after.tlb);
	/* pids: exactly the children their threads left registered */
	{
		int want[MAX_THREADS], nw = 0, j, k;

		for (i = 0; i < nt; i++)
			if (t[i].registered)
				want[nw++] = t[i].child;
		for (j = 0; j < nw; j++)
			for (k = j + 1; k < nw; k++)
				if (want[k] < want[j]) {
					int x = want[j];

					want[j] = want[k];
					want[k] = x;
				}
		if (after.npids != nw)
			mismatch(F_PIDS, "after the concurrent phase: %d registered, want %d",
				 after.npids, nw);
		else
			for (j = 0; j < nw; j++)
				if (after.pids[j] != want[j])
					mismatch(F_PIDS, "after the concurrent phase: pid %d registered, want %d",
						 after.pids[j], want[j]);
	}
	for (i = 0; i < nt; i++)
		printf("# thread %d: %lu ops, child %d %s\n", i, t[i].ops, t[i].child,
		       t[i].registered ? "registered" : "not registered");
	model = after;
	for (i = 0; i < nt; i++)
		for (f = 0; f < F_NR; f++)
			free(t[i].acc[f].v);
	free(t);
}

/* ---- main --------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("Usage: mt-fuzz [-s SEED] [-n OPS] [-t THREADS] [-T SECONDS] [-D DIR] [-P PARAMDIR] [-v]\n"
	      "  -s N | --seed=N       random seed (default: from the clock)\n"
	      "  -n N | --ops=N        operations of the sequential phase (default 3000)\n"
	      "  -t N | --threads=N    writer threads of the concurrent phase (default 4)\n"
	      "  -T S | --seconds=S    length of the concurrent phase (default 5)\n"
	      "  -D D | --debugfs=D    memtrace's debugfs directory\n"
	      "  -P D | --params=D     memtrace's module parameter directory\n"
	      "  -v   | --verbose      print every operation\n", f);
}

static pid_t spawn_sleeper(void)
{
	pid_t p = fork();

	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "mt-fuzz-child");
		for (;;)
			pause();
	}
	return p;
}

static void *idle_thread(void *arg)
{
	*(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

/* Write @v to the wss_tlb_flush parameter: whether it was taken. */
static bool tlb_takes(const char *v)
{
	char p[512];
	ssize_t n;
	int fd;

	path_of(P_TLB, p, sizeof(p));
	fd = open(p, O_WRONLY);
	if (fd < 0)
		return false;
	n = write(fd, v, strlen(v));
	close(fd);
	return n == (ssize_t)strlen(v);
}

/*
 * Which first letters beyond y/Y/1/n/N/0 and on/off the running kernel's
 * bool parser takes (they differ between lines, see the header): one
 * write of each kind to the parameter itself, whose value is then put
 * back.  Every other write is held to that dialect.
 */
static void probe_bool(void)
{
	char p[512], old[8] = "Y";
	ssize_t n = -1;
	int fd;

	path_of(P_TLB, p, sizeof(p));
	fd = open(p, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, old, sizeof(old) - 1);
		close(fd);
	}
	old[n > 0 ? 1 : 0] = '\0';
	if (n <= 0)
		old[0] = 'Y', old[1] = '\0';
	bool_tf = tlb_takes("t");
	bool_ed = tlb_takes("e");
	tlb_takes(old);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "debugfs", required_argument, NULL, 'D' },
		{ "params", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 0, rs;
	unsigned long ops = 3000;
	int nt = 4, o, i, f, children[MAX_THREADS];
	double secs = 5;
	unsigned char *store;
	volatile pid_t tid = 0;
	pthread_t idle;
	struct timespec now;

	while ((o = getopt_long(argc, argv, "s:n:t:T:D:P:vh", opts, NULL)) != -1) {
		switch (o) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': ops = strtoul(optarg, NULL, 10); break;
		case 't': nt = atoi(optarg); break;
		case 'T': secs = atof(optarg); break;
		case 'D': snprintf(dbg_dir, sizeof(dbg_dir), "%s", optarg); break;
		case 'P': snprintf(par_dir, sizeof(par_dir), "%s", optarg); break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || nt < 1 || nt > MAX_THREADS || secs < 0) {
		usage(stderr);
		return 2;
	}
	if (!seed) {
		clock_gettime(CLOCK_REALTIME, &now);
		seed = (uint64_t)now.tv_sec * 1000003ULL + (uint64_t)now.tv_nsec;
	}
	probe_bool();
	printf("seed %llu (bool parser: t/f %s, e/d %s)\n", (unsigned long long)seed,
	       bool_tf ? "yes" : "no", bool_ed ? "yes" : "no");
	fflush(stdout);
	rs = seed | 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	store = malloc((1 << 20) + 64);
	guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!store || guard == MAP_FAILED || mprotect(guard + PAGE, PAGE, PROT_NONE)) {
		perror("mt-fuzz: memory");
		return 1;
	}
	/* PIDs with a known class: ours, init, our children (processes);
	 * kthreadd (a kernel thread); a thread of ours (not a tgid) */
	pthread_create(&idle, NULL, idle_thread, (void *)&tid);
	while (!tid)
		usleep(1000);
	pids_cand[n_cand++] = getpid();
	pids_cand[n_cand++] = 1;
	pids_cand[n_cand++] = 2;
	pids_cand[n_cand++] = tid;
	for (i = 0; i < nt; i++) {
		children[i] = spawn_sleeper();
		if (i < 3)
			pids_cand[n_cand++] = children[i];
	}
	printf("# candidate pids: self %d, init 1 (%s), 2 (%s), thread %d (%s)\n",
	       getpid(), pid_class(1) == PC_PROC ? "process" : "?",
	       pid_class(2) == PC_KTHREAD ? "kernel thread" : "?", tid,
	       pid_class(tid) == PC_THREAD ? "thread" : "?");

	if (!read_state(&model, NULL)) {
		fprintf(stderr, "mt-fuzz: cannot read the state from %s and %s: %s\n",
			dbg_dir, par_dir, strerror(errno));
		return 1;
	}
	sequential(ops, &rs, store);
	concurrent(nt, secs, seed, children);

	for (f = 0; f < F_NR; f++)
		printf("result %s ops=%lu mismatches=%lu accepted=%lu\n", fname[f], n_ops[f],
		       n_mis[f], n_acc[f]);
	{
		unsigned long tot = 0;

		for (f = 0; f < F_NR; f++)
			tot += n_ops[f];
		printf("fuzz: ops=%lu mismatches=%lu\n", tot, total_mis);
	}
	return total_mis ? 1 : 0;
}
