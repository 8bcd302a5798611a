/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testlib.h - helpers shared by the host tests of memtrace-reader.
 *
 * Records are built byte by byte at the offsets the ABI documents
 * (include/uapi/memtrace.h), not with the reader's own code or structs.
 * The live tests run the reader binary named by $MEMTRACE_READER against
 * fake module directories (-D) of regular files in tmpdir.
 */
#ifndef MEMTRACE_TESTLIB_H
#define MEMTRACE_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Byte offsets of the ABI's fields (memtrace.h), written out here. */
enum {
	O_MAGIC = 0, O_VERSION = 4, O_TYPE = 6, O_SIZE = 8, O_CPU = 12,
	O_SEQ = 16, O_TS = 24, O_TICK = 32, O_TGID = 40, O_FLAGS = 44,
	O_COMM = 48, O_VSZ = 64, O_ANON = 72, O_FILE = 80, O_SHMEM = 88,
	O_SWAP = 96, O_HWM = 104, O_MINFLT = 112, O_MAJFLT = 120,
	O_UTIME = 128, O_STIME = 136, O_WSS = 144, O_WSS_WIN = 152,
	O_MISSED = 160, SAMPLE_BYTES = 168,
	/* a sample of a writer that predates ticks_missed */
	SAMPLE_BYTES_V1 = 160,
	/* struct memtrace_loss */
	O_LOST = 32, O_LOST_TOTAL = 40, O_FIRST_SEQ = 48, O_FIRST_TS = 56,
	O_LAST_TS = 64, O_LFLAGS = 72, LOSS_BYTES = 80,
	/* struct memtrace_system: 52 u64 figures from O_SYS_FIG on */
	O_SYS_TICK = 32, O_SYS_FLAGS = 40, O_SYS_NCPUS = 44, O_SYS_MISSED = 48,
	O_SYS_FIG = 56, SYS_FIGS = 52, SYSTEM_BYTES = 472,
	/* indexes of figures: swaptotal_kb, psi_memory_some_us, free_order10 */
	SYS_SWAPTOTAL = 6, SYS_PSI_MEM_SOME = 36, SYS_ORDER10 = 51,
	/* struct memtrace_cgroup: 12 u64 figures from O_CG_FIG on, then the
	 * path, NUL-padded to 8 bytes */
	O_CG_TICK = 32, O_CG_ID = 40, O_CG_FLAGS = 48, O_CG_PLEN = 52,
	O_CG_FIG = 56, CG_FIGS = 12, CGROUP_BYTES = 152,
};

struct fig {
	uint64_t seq, ts, tick;
	uint32_t cpu, tgid, flags;
	const char *comm;	/* copied with strncpy semantics, 16 bytes */
	uint64_t vsz, anon, file, shmem, swap, hwm, minflt, majflt, utime,
		stime, wss, wss_win, missed;
};

extern const struct fig fig1;
/* The CSV header line. */
#define CSV_HEADER                                                          \
	"ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,rss_file_kb,"  \
	"rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,wss_kb,wss_window_ms," \
	"ticks_missed,thrashing_delay_ns,swapin_delay_ns,reclaim_delay_ns," \
	"compact_delay_ns,cgroup_id,pss_kb,pss_anon_kb,pss_file_kb,"        \
	"pss_shmem_kb,uss_kb,swap_pss_kb,pss_window_ms\n"
extern const char header[sizeof(CSV_HEADER)];

void put_le(unsigned char *p, size_t off, uint64_t v, int bytes);
/* A header of @size bytes total at @p (the rest zeroed). */
void make_hdr(unsigned char *p, uint32_t size, uint16_t type, uint32_t cpu,
	      uint64_t seq, uint64_t ts);
void make_sample(unsigned char *p, const struct fig *f);
void make_loss(unsigned char *p, uint32_t cpu, uint64_t seq, uint64_t ts,
	       uint64_t lost, uint64_t total, uint64_t first_seq,
	       uint64_t first_ts, uint64_t last_ts, uint32_t flags);

/* A system record: header, tick @tick, figure i = @base + i except those
 * whose bit i is set in @unknown (all ones: not read), ticks_missed 0. */
void make_system(unsigned char *p, uint32_t cpu, uint64_t seq, uint64_t ts,
		 uint64_t tick, uint64_t base, uint64_t unknown);
/* The system CSV's header line (memtrace-reader --system). */
extern const char sys_header[];

/* The test's directory; short, so "tmpdir/name/file" always fits. */
extern char tmpdir[256];
#define DIR_MAX 512
extern const char *reader_bin;

struct run {
	int status;		/* exit status, or 128 + signal */
	char *out, *err;	/* standard output / error, NUL-terminated */
	size_t out_len;
};

char *slurp(const char *path, size_t *len);
void spit(const char *path, const void *p, size_t n, bool append);
void spit_str(const char *dir, const char *name, const char *s);
char *read_in(const char *dir, const char *name);
/* A fresh fake module directory with control files, no cpuN files yet. */
void fake_dir(char *dir, size_t len, const char *name);
pid_t spawn_reader_fds(const char *const *args, int in_fd, int out_fd,
		       int err_fd, const char *tag);
pid_t spawn_reader(const char *const *args, int out_fd, const char *tag);
/* After spawn_reader() on a fake directory: its session has begun. */
void wait_started(const char *dir);
void wait_reader(pid_t pid, const char *tag, struct run *run);
void run_reader(const char *const *args, const char *tag, struct run *run);
void run_free(struct run *run);
/* run_reader() with a file size limit of @limit_bytes (SIGXFSZ ignored:
 * a write past it fails with EFBIG). */
void run_reader_fsize(const char *const *args, unsigned long limit_bytes,
		      const char *tag, struct run *run);
/* Fail unless the file @path holds exactly @want. */
void want_file(const char *path, const char *want);
void check_status(const struct run *run, int want);
void add_sample(const char *dir, unsigned int cpu, uint64_t seq, uint64_t ts,
		uint32_t tgid, const char *comm);
void add_system(const char *dir, unsigned int cpu, uint64_t seq, uint64_t ts,
		uint64_t base, uint64_t unknown);
void add_loss(const char *dir, unsigned int cpu, uint64_t seq, uint64_t ts,
	      uint64_t first, uint64_t fts, uint64_t lts, uint64_t total);
/* A cgroup record (the reader's: seq 0) of cgroup @id at @path appended to
 * @dir/cpu0, at @ts, tick @ts / 1000, figure i = @base + i. */
void add_cgroup(const char *dir, uint64_t ts, uint64_t id, const char *path,
		uint64_t base);
/* The row the reader must print for add_sample(cpu, seq, ts, tgid, comm). */
void want_row(char *dst, size_t len, unsigned int cpu, uint64_t seq,
	      uint64_t ts, uint32_t tgid, const char *comm_field);
uint64_t mono_ns(void);
/* How many entries of tmpdir have a name starting with @prefix. */
int count_prefixed(const char *prefix);
void rm_rf(const char *path);
int tl_init(const char *prog);
void tl_done(int failed);

#endif /* MEMTRACE_TESTLIB_H */
