/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * memtrace record ABI: the single source of truth for the binary records the
 * memtrace kernel module writes into its per-CPU relay files
 * (/sys/kernel/debug/memtrace/cpuN) and that memtrace-reader decodes.
 *
 * Rules of the format (see Documentation/memtrace-format.rst):
 *  - Every record starts with struct memtrace_rec_hdr.  All integers are
 *    little-endian, every field is naturally aligned, and every record size
 *    is a multiple of 8 bytes.
 *  - hdr.size is the size in bytes of the whole record, header included.  A
 *    reader skips record types it does not know using hdr.size, and skips
 *    trailing fields it does not know in a record type it does know.  Fields
 *    are only ever appended; none is ever removed or given a new meaning.
 *  - hdr.seq counts sample records per CPU, starting at 0 when the module
 *    loads.  It is consumed by every sample the module tries to write,
 *    including those dropped because the relay buffer was full, so a gap in
 *    seq on one CPU's stream is exactly the number of records lost there.
 *    Loss records (struct memtrace_loss) consume no seq: they carry the seq
 *    of the sample that follows them and say which seqs were lost.
 *
 * Included by the kernel module (module/) and by the reader (reader/); it
 * only uses the fixed-width types of <linux/types.h>.
 */
#ifndef _UAPI_MEMTRACE_H
#define _UAPI_MEMTRACE_H

#include <linux/types.h>

/** MEMTRACE_MAGIC - hdr.magic of every record: the bytes "MTRC" on disk. */
#define MEMTRACE_MAGIC		0x4352544dU
/** MEMTRACE_VERSION - format version written by this module and reader. */
#define MEMTRACE_VERSION	1
/** MEMTRACE_COMM_LEN - bytes of comm, NUL-padded (the kernel's TASK_COMM_LEN). */
#define MEMTRACE_COMM_LEN	16
/**
 * MEMTRACE_SAMPLE_SIZE_MIN - the least hdr.size of a sample record: the
 * size before ticks_missed was appended.  Fields past a record's hdr.size
 * are unknown to its writer.
 */
#define MEMTRACE_SAMPLE_SIZE_MIN	160

/**
 * enum memtrace_rec_type - values of memtrace_rec_hdr.type.
 * @MEMTRACE_REC_SAMPLE: struct memtrace_sample, one per process per tick.
 * @MEMTRACE_REC_LOSS:   struct memtrace_loss, records lost to a full buffer.
 *
 * Value 3 is reserved for a schema record; a reader skips any type it does
 * not know.
 */
enum memtrace_rec_type {
	MEMTRACE_REC_SAMPLE = 1,
	MEMTRACE_REC_LOSS = 2,
};

/**
 * struct memtrace_rec_hdr - common header of every record (32 bytes).
 * @magic:   MEMTRACE_MAGIC.  A reader checks it on every record.
 * @version: MEMTRACE_VERSION of the writer.
 * @type:    enum memtrace_rec_type.
 * @size:    bytes in the whole record, header included; a multiple of 8.
 * @cpu:     CPU whose relay buffer holds the record (smp_processor_id()
 *           while the record was reserved, interrupts off).
 * @seq:     per-CPU sequence number, see the rules at the top of this file.
 * @ts_ns:   CLOCK_MONOTONIC time in ns, taken in the same interrupts-off
 *           section that reserved the record: the tick's ktime_get_ns()
 *           plus the local_clock() time elapsed since it (the clocksource
 *           is read once per tick), never less than the CPU's previous
 *           record's, so records of one CPU are in ts_ns order.  Within a
 *           tick it may differ from CLOCK_MONOTONIC by the two clocks' rate
 *           difference (see Documentation/memtrace-format.rst).
 */
struct memtrace_rec_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 size;
	__le32 cpu;
	__le64 seq;
	__le64 ts_ns;
};

/** MEMTRACE_SAMPLE_WSS_VALID - memtrace_sample.flags: wss_kb was measured. */
#define MEMTRACE_SAMPLE_WSS_VALID	(1U << 0)

/**
 * struct memtrace_sample - one process (thread group) at one tick (168 bytes).
 *
 * All memory figures are KiB (pages << (PAGE_SHIFT - 10)), as in
 * /proc/PID/status.  Each figure names the kernel source it is read from; the
 * mm counters are the same ones task_mem() prints in fs/proc/task_mmu.c, and
 * the fault and CPU figures the same ones do_task_stat() sums in
 * fs/proc/array.c for /proc/PID/stat.
 *
 * @hdr:           common header, type MEMTRACE_REC_SAMPLE.
 * @tick:          sampler tick number, starting at 1 with the first tick
 *                 after the module loads; all records of one tick share it.
 * @tgid:          thread group id in the initial PID namespace
 *                 (task_tgid_nr()), i.e. the PID that ps(1) shows.
 * @flags:         MEMTRACE_SAMPLE_* bits.
 * @comm:          the thread group leader's comm (task->comm, as
 *                 /proc/PID/status "Name:"), NUL-padded.  The module always
 *                 NUL-terminates it; readers must not rely on that.
 * @vsz_kb:        mm->total_vm (VmSize).
 * @rss_anon_kb:   get_mm_counter(mm, MM_ANONPAGES) (RssAnon).
 * @rss_file_kb:   get_mm_counter(mm, MM_FILEPAGES) (RssFile).
 * @rss_shmem_kb:  get_mm_counter(mm, MM_SHMEMPAGES) (RssShmem).
 * @swap_kb:       get_mm_counter(mm, MM_SWAPENTS) (VmSwap).
 * @hwm_kb:        max(mm->hiwater_rss, current RSS) (VmHWM).
 * @minflt:        minor faults: signal->min_flt plus task->min_flt of every
 *                 live thread (field 10 of /proc/PID/stat).
 * @majflt:        major faults, likewise from maj_flt (field 12).
 * @utime_ns:      user CPU time of the whole thread group, ns: the tick-based
 *                 utime/stime split of signal and live threads scaled to the
 *                 precise se.sum_exec_runtime total, as cputime_adjust()
 *                 does for /proc/PID/stat field 14, and never less than
 *                 in the process's previous record (its monotonic clamp).
 * @stime_ns:      system CPU time, likewise (field 15).
 * @wss_kb:        working-set-size estimate; valid only when flags has
 *                 MEMTRACE_SAMPLE_WSS_VALID, else 0 ("not measured").
 * @wss_window_ns: the time window wss_kb covers; 0 when not measured.
 * @ticks_missed:  ticks that did not run since the module loaded, as of
 *                 this record's tick (when it began sampling, after its WSS
 *                 scan): timer expiries that found the previous
 *                 tick still queued or running, plus expiries the timer
 *                 skipped when it fired more than an interval late
 *                 (hrtimer_forward() overruns) -- stats' ticks_missed.  Two
 *                 records' difference is the number of samples that were
 *                 never taken between their ticks (for every process
 *                 sampled): the sampler did not keep up with interval_ms.
 *                 Appended in 2026-12 (records of 160 bytes lack it: a
 *                 reader treats it as unknown there).
 */
struct memtrace_sample {
	struct memtrace_rec_hdr hdr;
	__le64 tick;
	__le32 tgid;
	__le32 flags;
	char comm[MEMTRACE_COMM_LEN];
	__le64 vsz_kb;
	__le64 rss_anon_kb;
	__le64 rss_file_kb;
	__le64 rss_shmem_kb;
	__le64 swap_kb;
	__le64 hwm_kb;
	__le64 minflt;
	__le64 majflt;
	__le64 utime_ns;
	__le64 stime_ns;
	__le64 wss_kb;
	__le64 wss_window_ns;
	__le64 ticks_missed;
};

/**
 * MEMTRACE_LOSS_F_READER - memtrace_loss.flags: written by the reader, not
 * the kernel: drops after the last record the reader saw on that CPU, taken
 * from the stats file (cpuN_seq) at the end of a session.
 */
#define MEMTRACE_LOSS_F_READER	(1U << 0)

/**
 * struct memtrace_loss - a run of records lost on one CPU (80 bytes).
 *
 * The module writes one just before the first record it manages to commit
 * after one or more drops on that CPU, so the drops are visible in the data
 * itself, not only in the stats file.
 *
 * @hdr:         common header, type MEMTRACE_REC_LOSS; hdr.seq is the seq of
 *               the sample that follows (a loss record consumes no seq),
 *               hdr.ts_ns when the loss record was written.
 * @lost:        samples lost in this run: seqs first_seq .. first_seq+lost-1.
 * @lost_total:  samples lost on this CPU since the module loaded.
 * @first_seq:   seq of the first lost sample.
 * @first_ts_ns: CLOCK_MONOTONIC time of the first lost sample.
 * @last_ts_ns:  CLOCK_MONOTONIC time of the last lost sample.
 * @flags:       MEMTRACE_LOSS_F_* bits.
 * @reserved:    0.
 */
struct memtrace_loss {
	struct memtrace_rec_hdr hdr;
	__le64 lost;
	__le64 lost_total;
	__le64 first_seq;
	__le64 first_ts_ns;
	__le64 last_ts_ns;
	__le32 flags;
	__le32 reserved;
};

/*
 * ---- the trace file ----------------------------------------------------
 * What `memtrace-reader -w FILE` writes and `memtrace-reader -i FILE`
 * decodes (Documentation/memtrace-trace-file.rst): a file header (struct
 * memtrace_file_hdr, then a table of struct memtrace_file_cpu) followed,
 * from byte hdr_size on, by the records above exactly as the module wrote
 * them, in the merged (ts_ns, cpu, seq) order the reader emitted them, then
 * one reader-written struct memtrace_loss (flags MEMTRACE_LOSS_F_READER) per
 * CPU that closes the session.  Same rules as the records.  Only user
 * space reads and writes it; the module never does.
 */
/** MEMTRACE_FILE_MAGIC - the first 8 bytes of a trace file (no NUL). */
#define MEMTRACE_FILE_MAGIC		"MTRCFILE"
#define MEMTRACE_FILE_MAGIC_LEN		8
/**
 * MEMTRACE_FILE_VERSION - trace file format version written by this reader:
 * 2, records in checksummed blocks (struct memtrace_file_block); version 1
 * files, bare records after the header, are still read.
 */
#define MEMTRACE_FILE_VERSION		2
/**
 * MEMTRACE_FILE_BYTE_ORDER - memtrace_file_hdr.byte_order: this value
 * stored in the file's byte order, so the bytes 04 03 02 01 on disk say
 * "little-endian" (the only byte order memtrace writes).
 */
#define MEMTRACE_FILE_BYTE_ORDER	0x01020304U
/** MEMTRACE_FILE_CLOCK_MONOTONIC - memtrace_file_hdr.clock_id of CLOCK_MONOTONIC. */
#define MEMTRACE_FILE_CLOCK_MONOTONIC	1

/**
 * MEMTRACE_FILE_F_CPUS_COMPLETE - memtrace_file_hdr.flags: the CPU table
 * lists every CPU whose sequence number was not 0 when the session started,
 * so a CPU missing from it started at seq 0 with nothing dropped.
 */
#define MEMTRACE_FILE_F_CPUS_COMPLETE	(1U << 0)

/* memtrace_file_cpu.flags: which start figures are known. */
#define MEMTRACE_FILE_CPU_F_SEQ		(1U << 0)	/* start_seq */
#define MEMTRACE_FILE_CPU_F_DROPPED	(1U << 1)	/* start_dropped */

/**
 * struct memtrace_file_hdr - start of a trace file (264 bytes in version 1).
 * @magic:          MEMTRACE_FILE_MAGIC.
 * @byte_order:     MEMTRACE_FILE_BYTE_ORDER.
 * @version:        MEMTRACE_FILE_VERSION of the writer.
 * @rec_version:    MEMTRACE_VERSION (record format) the writer knows.
 * @hdr_size:       bytes of the whole file header, CPU table included; the
 *                  first record starts at this offset.
 * @flags:          MEMTRACE_FILE_F_* bits.
 * @sample_size:    sizeof(struct memtrace_sample) of the writer.
 * @loss_size:      sizeof(struct memtrace_loss) of the writer.
 * @page_size:      page size of the traced machine, bytes.
 * @clock_id:       clock of every hdr.ts_ns: MEMTRACE_FILE_CLOCK_MONOTONIC.
 * @start_mono_ns:  CLOCK_MONOTONIC at the start of the session, ns, taken
 *                  together with @start_real_ns: a record's wall-clock time
 *                  is start_real_ns + (ts_ns - start_mono_ns).
 * @start_real_ns:  CLOCK_REALTIME at the same moment, ns since the epoch.
 * @cpu_table_off:  offset from the file's start of the CPU table.
 * @cpu_count:      entries in the CPU table.
 * @cpu_entry_size: bytes per entry (sizeof(struct memtrace_file_cpu) of
 *                  the writer).
 * @reserved:       0.
 * @clock:          name of the clock, "mono", NUL-padded.
 * @release:        uname -r of the traced machine, NUL-padded.
 * @hostname:       uname -n of the traced machine, NUL-padded.
 * @writer:         the writing program and version, NUL-padded.
 */
struct memtrace_file_hdr {
	char magic[MEMTRACE_FILE_MAGIC_LEN];
	__le32 byte_order;
	__le16 version;
	__le16 rec_version;
	__le32 hdr_size;
	__le32 flags;
	__le32 sample_size;
	__le32 loss_size;
	__le32 page_size;
	__le32 clock_id;
	__le64 start_mono_ns;
	__le64 start_real_ns;
	__le32 cpu_table_off;
	__le32 cpu_count;
	__le32 cpu_entry_size;
	__le32 reserved;
	char clock[16];
	char release[72];
	char hostname[72];
	char writer[32];
};

/**
 * struct memtrace_file_cpu - one CPU's figures at the start (24 bytes),
 * read from the module's stats file before the sampler was enabled.
 * @cpu:           the CPU.
 * @flags:         MEMTRACE_FILE_CPU_F_* bits: which figures are known.
 * @start_seq:     cpuN_seq: the seq of the CPU's next sample.  Samples with
 *                 a seq between it and the first one in the file were lost.
 * @start_dropped: cpuN_dropped: samples the CPU had dropped since load.
 */
struct memtrace_file_cpu {
	__le32 cpu;
	__le32 flags;
	__le64 start_seq;
	__le64 start_dropped;
};

/** MEMTRACE_FILE_BLOCK_MAGIC - memtrace_file_block.magic, the bytes "TBLK". */
#define MEMTRACE_FILE_BLOCK_MAGIC	0x4b4c4254U
/** MEMTRACE_FILE_BLOCK_MAX - most record bytes in one block (1 MiB). */
#define MEMTRACE_FILE_BLOCK_MAX		(1U << 20)

/**
 * struct memtrace_file_block - (version 2) the header of a block of
 * records: from hdr_size on, a version 2 file is blocks back to back, each
 * this header and then @size bytes of whole records (none crosses a block).
 * @magic:   MEMTRACE_FILE_BLOCK_MAGIC.
 * @size:    bytes of records that follow: a multiple of 8, 1 ..
 *           MEMTRACE_FILE_BLOCK_MAX.
 * @records: how many records they are.
 * @crc32c:  CRC32C (Castagnoli, as iSCSI, ext4 and btrfs: reflected
 *           polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF)
 *           of the 12 bytes of this header before it, then of the @size
 *           bytes of records: any damage to a block, its header included,
 *           is found before its records are decoded.
 */
struct memtrace_file_block {
	__le32 magic;
	__le32 size;
	__le32 records;
	__le32 crc32c;
};

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define MEMTRACE_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define MEMTRACE_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_rec_hdr) == 32, "header is 32 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_sample) == 168, "sample is 168 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_loss) == 80, "loss record is 80 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_hdr) == 264, "file header is 264 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_cpu) == 24, "CPU entry is 24 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_block) == 16, "block header is 16 bytes");

#endif /* _UAPI_MEMTRACE_H */
