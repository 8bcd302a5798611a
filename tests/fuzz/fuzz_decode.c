// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_decode.c - libFuzzer target for memtrace-reader's decoders.
 *
 * Each input is run through two paths:
 *
 *  1. as a trace file, exactly as `memtrace-reader -i FILE` does: the bytes
 *     sit in a memfd and mt_sess_read_trace() reads them with read(2) in
 *     chunks whose size depends on the input, decodes header and records,
 *     accounts sequences and loss records, writes CSV (with the --realtime
 *     column for odd-sized inputs) and a re-encoded trace file to
 *     /dev/null, closes every CPU's session with a reader loss record as
 *     live mode does, and prints the summary (messages to /dev/null);
 *
 *  2. as the bytes of a cpuN relay file, as live mode reads them: an
 *     mt_stream fed in chunks, with resynchronisation after bad records,
 *     validating headers only and decoding each record again from its
 *     bytes (as the live merge does) for half the inputs, the records
 *     handed to a session in stream order.
 *
 * A crash, a sanitizer report, a leak or a timeout is a finding.
 *
 * Build and run: make -C tests/fuzz run (or check: bounded time, TAP).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvout.h"
#include "decode.h"
#include "msg.h"
#include "session.h"
#include "tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1;

static void as_trace_file(const uint8_t *data, size_t size)
{
	struct mt_out csv, raw;
	struct mt_sess s;
	uint32_t *cpus;
	size_t ncpus, off = 0;
	int fd;

	fd = memfd_create("trace", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (mt_out_init(&csv, devnull, "csv", 4096) ||
	    mt_out_init(&raw, devnull, "raw", 4096))
		abort();
	mt_sess_init(&s, &csv, &raw, size & 1);
	/* Read sizes 1..509, or unlimited, depending on the input. */
	mt_sess_read_trace(&s, fd, "fuzz", 0, size % 510);
	close(fd);
	if (!mt_sess_cpus(&s, &cpus, &ncpus)) {
		for (size_t i = 0; i < ncpus && i < 64; i++)
			mt_sess_end_cpu(&s, cpus[i], (uint64_t)size * (i + 1),
					i & 1, size, UINT64_MAX - i);
		free(cpus);
	}
	mt_sess_status(&s, 1, false);
	mt_sess_summary(&s, false);
	mt_sess_failed(&s);
	mt_out_flush(&csv);
	mt_out_flush(&raw);
	mt_out_free(&csv);
	mt_out_free(&raw);
	mt_sess_free(&s);
}

static void as_relay_stream(const uint8_t *data, size_t size)
{
	struct mt_tfile_info info;
	struct mt_stream st;
	struct mt_record rec;
	struct mt_bad bad;
	struct mt_out csv;
	struct mt_sess s;
	size_t off = 0, chunk = size % 200 + 1;
	char why[160];
	unsigned int cpu = size >= 16 ? data[12] : 0;

	if (mt_stream_init(&st, cpu, 0) || mt_out_init(&csv, devnull, "csv", 0))
		abort();
	/* Half the time as the live reader: validate, decode when emitted. */
	st.hdr_only = size & 2;
	mt_sess_init(&s, &csv, NULL, false);
	memset(&info, 0, sizeof(info));
	mt_sess_begin(&s, &info);
	while (off < size) {
		size_t room;
		unsigned char *p = mt_stream_space(&st, &room);
		size_t n = size - off < chunk ? size - off : chunk;
		unsigned int flags = 0;

		if (n > room)
			n = room;
		memcpy(p, data + off, n);
		off += n;
		mt_stream_added(&st, n);
		for (;;) {
			enum mt_status r = mt_stream_next(&st, &rec, &bad);

			if (r == MT_NEED_MORE)
				break;
			if (r == MT_OK || r == MT_LOSS || r == MT_SKIP) {
				uint32_t n2;

				if (st.hdr_only &&
				    mt_decode(st.raw, st.raw_len, &rec, &n2) != r)
					abort();	/* must decode the same */
				mt_sess_record(&s, r, &rec, st.raw, st.raw_len,
					       flags);
				flags = 0;
			} else {
				mt_bad_describe(&bad, why, sizeof(why));
				flags = MT_SESS_AFTER_BAD;
			}
		}
	}
	mt_sess_summary(&s, false);
	mt_out_flush(&csv);
	mt_out_free(&csv);
	mt_sess_free(&s);
	mt_stream_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		mt_msg_file = fopen("/dev/null", "w");
		if (devnull < 0 || !mt_msg_file)
			abort();
	}
	as_trace_file(data, size);
	as_relay_stream(data, size);
	return 0;
}
