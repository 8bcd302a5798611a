// SPDX-License-Identifier: GPL-2.0
/*
 * csv.c - CSV rows for memtrace samples, fast: digits by a two-digit table
 * straight into a big buffer, no printf per field, no allocation per row.
 *
 * The quoting of comm (RFC 4180: a field holding a comma, a double quote,
 * CR or LF is enclosed in double quotes, and a double quote in it is
 * doubled) is libcsv's csv_write().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "csvout.h"
#include "msg.h"

/* The columns of mt_csv_row(), in order; --realtime appends "time". */
#define CSV_COLUMNS                                                        \
	"ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,rss_file_kb," \
	"rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,wss_kb," \
	"wss_window_ms"

const char mt_csv_header[] = CSV_COLUMNS "\n";
const char mt_csv_header_time[] = CSV_COLUMNS ",time\n";

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

size_t mt_u64_dec(char *dst, uint64_t v)
{
	char tmp[20];
	char *p = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100) {
		unsigned int i = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = digits2[i + 1];
		*--p = digits2[i];
	}
	if (v >= 10) {
		unsigned int i = (unsigned int)v * 2;

		*--p = digits2[i + 1];
		*--p = digits2[i];
	} else {
		*--p = (char)('0' + v);
	}
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(dst, p, n);
	return n;
}

/* Decimal of hi * 2^64 + lo (hi small): the rare rss_kb that overflows. */
static size_t u66_dec(char *dst, uint64_t hi, uint64_t lo)
{
	uint64_t limb[3] = { hi, lo >> 32, lo & 0xffffffffu };
	char tmp[48];
	char *p = tmp + sizeof(tmp);
	size_t n;

	do {
		uint64_t rem = 0;

		for (int i = 0; i < 3; i++) {
			uint64_t cur = (rem << 32) | limb[i];

			limb[i] = cur / 10;
			rem = cur % 10;
		}
		*--p = (char)('0' + rem);
	} while (limb[0] | limb[1] | limb[2]);
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(dst, p, n);
	return n;
}

static void put2(char *p, unsigned int v)
{
	memcpy(p, digits2 + 2 * v, 2);
}

/*
 * Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's
 * civil_from_days); exact for every day an int64 of ns reaches.
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned int *m,
			    unsigned int *d)
{
	int64_t era, yy;
	unsigned int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

size_t mt_csv_time(char *dst, int64_t real_ns)
{
	int64_t secs = real_ns / 1000000000, days, sod, y;
	int64_t ns = real_ns % 1000000000;
	unsigned int m, d;
	char *p = dst;

	if (ns < 0) {
		ns += 1000000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* int64 ns span 1677..2262: always four digits. */
	put2(p, (unsigned int)(y / 100));
	put2(p + 2, (unsigned int)(y % 100));
	p[4] = '-';
	put2(p + 5, m);
	p[7] = '-';
	put2(p + 8, d);
	p[10] = 'T';
	put2(p + 11, (unsigned int)(sod / 3600));
	p[13] = ':';
	put2(p + 14, (unsigned int)(sod / 60 % 60));
	p[16] = ':';
	put2(p + 17, (unsigned int)(sod % 60));
	p[19] = '.';
	for (int i = 28; i >= 20; i--) {
		p[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	p[29] = 'Z';
	return MT_CSV_TIME_LEN;
}

size_t mt_csv_comm(char *dst, const char *comm, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = comm[i];

		if (c == ',' || c == '"' || c == '\r' || c == '\n')
			return csv_write(dst, 2 + 2 * MEMTRACE_COMM_LEN, comm, len);
	}
	memcpy(dst, comm, len);
	return len;
}

#define PUT_U64(v)                          \
	do {                                \
		p += mt_u64_dec(p, (v));    \
		*p++ = ',';                 \
	} while (0)

size_t mt_csv_row(char *dst, const struct mt_record *r)
{
	char *p = dst;
	uint64_t rss = r->rss_anon_kb + r->rss_file_kb;
	uint64_t carry = rss < r->rss_anon_kb;

	rss += r->rss_shmem_kb;
	carry += rss < r->rss_shmem_kb;

	PUT_U64(r->hdr.ts_ns);
	PUT_U64(r->hdr.cpu);
	PUT_U64(r->hdr.seq);
	PUT_U64(r->tick);
	PUT_U64(r->tgid);
	p += mt_csv_comm(p, r->comm, r->comm_len > MEMTRACE_COMM_LEN ?
					     MEMTRACE_COMM_LEN : r->comm_len);
	*p++ = ',';
	PUT_U64(r->vsz_kb);
	if (carry)
		p += u66_dec(p, carry, rss);
	else
		p += mt_u64_dec(p, rss);
	*p++ = ',';
	PUT_U64(r->rss_anon_kb);
	PUT_U64(r->rss_file_kb);
	PUT_U64(r->rss_shmem_kb);
	PUT_U64(r->swap_kb);
	PUT_U64(r->hwm_kb);
	PUT_U64(r->minflt);
	PUT_U64(r->majflt);
	PUT_U64(r->utime_ns);
	PUT_U64(r->stime_ns);
	if (r->flags & MEMTRACE_SAMPLE_WSS_VALID) {
		PUT_U64(r->wss_kb);
		p += mt_u64_dec(p, r->wss_window_ns / 1000000);
	} else {
		*p++ = ',';
	}
	*p++ = '\n';
	return (size_t)(p - dst);
}

int mt_out_init(struct mt_out *o, int fd, const char *name, size_t cap)
{
	memset(o, 0, sizeof(*o));
	if (cap < 2 * MT_CSV_ROW_MAX)
		cap = 2 * MT_CSV_ROW_MAX;
	o->buf = malloc(cap);
	if (!o->buf)
		return -1;
	o->cap = cap;
	o->fd = fd;
	o->name = name;
	return 0;
}

void mt_out_free(struct mt_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

int mt_out_flush(struct mt_out *o)
{
	size_t done = 0;

	if (o->err) {
		errno = o->err;
		return -1;
	}
	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			return -1;
		}
		if (n == 0) {	/* not expected of write(2); never spin */
			o->err = EIO;
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
		o->bytes += (unsigned long long)n;
	}
	o->len = 0;
	return 0;
}

int mt_out_write(struct mt_out *o, const void *src, size_t n)
{
	const char *s = src;

	while (n) {
		size_t room = o->cap - o->len;

		if (!room) {
			if (mt_out_flush(o))
				return -1;
			room = o->cap;
		}
		if (room > n)
			room = n;
		memcpy(o->buf + o->len, s, room);
		o->len += room;
		s += room;
		n -= room;
	}
	return 0;
}

int mt_out_header(struct mt_out *o)
{
	return mt_out_write(o, mt_csv_header, sizeof(mt_csv_header) - 1);
}

int mt_out_row(struct mt_out *o, const struct mt_record *r)
{
	if (o->err) {
		errno = o->err;
		return -1;
	}
	if (o->cap - o->len < MT_CSV_ROW_MAX && mt_out_flush(o))
		return -1;
	o->len += mt_csv_row(o->buf + o->len, r);
	return 0;
}

int mt_out_row_time(struct mt_out *o, const struct mt_record *r,
		    bool have_time, int64_t real_ns)
{
	char *p;

	if (o->err) {
		errno = o->err;
		return -1;
	}
	if (o->cap - o->len < MT_CSV_ROW_MAX && mt_out_flush(o))
		return -1;
	p = o->buf + o->len;
	p += mt_csv_row(p, r);
	p[-1] = ',';		/* the row's newline */
	if (have_time)
		p += mt_csv_time(p, real_ns);
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
	return 0;
}

void mt_out_report(struct mt_out *o)
{
	if (o->reported)
		return;
	o->reported = true;
	mt_msg("writing %s: %s", o->name, strerror(o->err ? o->err : errno));
}
