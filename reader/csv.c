// SPDX-License-Identifier: GPL-2.0
/*
 * csv.c - CSV rows for memtrace samples, fast: the digits of up to eight
 * decimal places at once (SWAR arithmetic in a 64-bit word), stored whole
 * straight into a big buffer and overwritten past the number's end by what
 * follows; no printf per field, no allocation per row.
 *
 * The quoting of comm (RFC 4180: a field holding a comma, a double quote,
 * CR or LF is enclosed in double quotes, and a double quote in it is
 * doubled) is libcsv's csv_write().
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
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
	"wss_window_ms,ticks_missed,thrashing_delay_ns,swapin_delay_ns," \
	"reclaim_delay_ns,compact_delay_ns,cgroup_id,pss_kb,pss_anon_kb," \
	"pss_file_kb,pss_shmem_kb,uss_kb,swap_pss_kb,pss_window_ms"

const char mt_csv_header[] = CSV_COLUMNS "\n";
const char mt_csv_header_time[] = CSV_COLUMNS ",time\n";

/* --idle-ages: the thresholds of the columns after pss_window_ms */
static uint32_t idle_cols[MEMTRACE_IDLE_AGES];
static size_t n_idle_cols;
/* the headers with those columns: 4 of ",idle_65535s_kb" at most */
static char idle_head[2][sizeof(mt_csv_header_time) + MEMTRACE_IDLE_AGES * 16];

void mt_csv_set_idle(const uint32_t *s, size_t n)
{
	for (int t = 0; t < 2; t++) {
		char *p = idle_head[t];

		memcpy(p, CSV_COLUMNS, sizeof(CSV_COLUMNS) - 1);
		p += sizeof(CSV_COLUMNS) - 1;
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, ",idle_%us_kb", (unsigned int)s[i]);
		strcpy(p, t ? ",time\n" : "\n");
	}
	memcpy(idle_cols, s, n * sizeof(*s));
	n_idle_cols = n;
}

const char *mt_csv_head(bool realtime)
{
	if (n_idle_cols)
		return idle_head[realtime];
	return realtime ? mt_csv_header_time : mt_csv_header;
}

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * The eight decimal digits of @v (< 10^8, leading zeros included) as ASCII,
 * the first digit in the lowest byte: SWAR, every step on all lanes at
 * once.  v = hi4 * 10^4 + lo4 puts hi4 in the low 32-bit lane and lo4 in the
 * high one; each lane splits into two 16-bit lanes by 100, each of those
 * into two bytes by 10.  x / 100 is (x * 10486) >> 20 for x < 10^4, and
 * x / 10 is (x * 103) >> 10 for x < 100; no lane's product reaches the
 * next lane.
 */
static inline uint64_t dec8(uint32_t v)
{
	uint64_t x = (v / 10000) | ((uint64_t)(v % 10000) << 32);
	uint64_t h = ((x * 10486) >> 20) & 0x0000007f0000007full;

	x = h | ((x - 100 * h) << 16);
	h = ((x * 103) >> 10) & 0x000f000f000f000full;
	x = h | ((x - 10 * h) << 8);
	return x + 0x3030303030303030ull;
}

/* Store the 8 bytes of dec8() output @w at @p, first digit first. */
static inline void store8(char *p, uint64_t w)
{
	w = htole64(w);
	memcpy(p, &w, sizeof(w));
}

/*
 * @v (1 <= v < 10^4) at @p, dec8()'s way on two 16-bit lanes; returns the
 * end of the digits.  Writes 4 bytes: those past the end are scratch.
 */
static inline char *put_dec4(char *p, uint32_t v)
{
	uint32_t x = (v / 100) | ((v % 100) << 16);
	uint32_t h = ((x * 103) >> 10) & 0x000f000fu;
	unsigned int lz;

	x = h | ((x - 10 * h) << 8);
	/* Leading zero digits are the low zero bytes. */
	lz = (unsigned int)__builtin_ctz(x) / 8;
	x = htole32((x + 0x30303030u) >> (8 * lz));
	memcpy(p, &x, sizeof(x));
	return p + 4 - lz;
}

/* @v (1 <= v < 10^8) without leading zeros at @p; returns the end of the
 * digits.  Writes 8 bytes: those past the end are scratch. */
static inline char *put_dec8(char *p, uint32_t v)
{
	uint64_t w = dec8(v);
	/* Leading zero digits are the low '0' bytes (at most 7). */
	unsigned int lz = (unsigned int)__builtin_ctzll(w - 0x3030303030303030ull) / 8;

	store8(p, w >> (8 * lz));
	return p + 8 - lz;
}

/*
 * @v in decimal at @p; returns the end of the digits.  Writes at most
 * max(digits, 8) bytes: any past the end are scratch, for the caller to
 * overwrite.  Short numbers, the most common, take the shortest paths.
 */
static inline char *put_dec(char *p, uint64_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		memcpy(p, digits2 + 2 * v, 2);
		return p + 2;
	}
	if (v < 10000)
		return put_dec4(p, (uint32_t)v);
	if (v < 100000000)
		return put_dec8(p, (uint32_t)v);
	if (v < 10000000000000000ull) {
		p = put_dec8(p, (uint32_t)(v / 100000000));
	} else {
		p = put_dec8(p, (uint32_t)(v / 10000000000000000ull));
		v %= 10000000000000000ull;
		store8(p, dec8((uint32_t)(v / 100000000)));
		p += 8;
	}
	store8(p, dec8((uint32_t)(v % 100000000)));
	return p + 8;
}

size_t mt_u64_dec(char *dst, uint64_t v)
{
	return (size_t)(put_dec(dst, v) - dst);
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

/* The bytes that make libcsv quote a field (RFC 4180). */
static const unsigned char csv_special[256] = {
	[','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1,
};

/* Whether the @len bytes at @comm go into the CSV as they are, unquoted. */
static inline bool comm_plain(const char *comm, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (csv_special[(unsigned char)comm[i]])
			return false;
	return true;
}

size_t mt_csv_comm(char *dst, const char *comm, size_t len)
{
	if (!comm_plain(comm, len))
		return csv_write(dst, 2 + 2 * MEMTRACE_COMM_LEN, comm, len);
	memcpy(dst, comm, len);
	return len;
}

#define PUT_U64(v)                      \
	do {                            \
		p = put_dec(p, (v));    \
		*p++ = ',';             \
	} while (0)

size_t mt_csv_row(char *dst, const struct mt_record *r)
{
	char *p = dst;
	uint64_t rss = r->rss_anon_kb + r->rss_file_kb;
	uint64_t carry = rss < r->rss_anon_kb;
	size_t comm_len;

	rss += r->rss_shmem_kb;
	carry += rss < r->rss_shmem_kb;

	PUT_U64(r->hdr.ts_ns);
	PUT_U64(r->hdr.cpu);
	PUT_U64(r->hdr.seq);
	PUT_U64(r->tick);
	PUT_U64(r->tgid);
	comm_len = r->comm_len > MEMTRACE_COMM_LEN ? MEMTRACE_COMM_LEN : r->comm_len;
	if (comm_plain(r->comm, comm_len)) {
		/* All of r->comm at once: the bytes past comm_len are scratch. */
		memcpy(p, r->comm, MEMTRACE_COMM_LEN);
		p += comm_len;
	} else {
		p += mt_csv_comm(p, r->comm, comm_len);
	}
	*p++ = ',';
	PUT_U64(r->vsz_kb);
	if (carry)
		p += u66_dec(p, carry, rss);
	else
		p = put_dec(p, rss);
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
		p = put_dec(p, r->wss_window_ns / 1000000);
		*p++ = ',';
	} else {
		*p++ = ',';
		*p++ = ',';
	}
	/* empty in a record whose writer predates the field */
	if (r->ticks_missed != MT_TICKS_MISSED_UNKNOWN)
		p = put_dec(p, r->ticks_missed);
	*p++ = ',';
	/* empty when delay accounting was off for the group's threads */
	if (r->flags & MEMTRACE_SAMPLE_DELAYS_VALID) {
		PUT_U64(r->thrashing_delay_ns);
		PUT_U64(r->swapin_delay_ns);
		PUT_U64(r->reclaim_delay_ns);
		if (r->compact_delay_ns != MEMTRACE_UNKNOWN)
			p = put_dec(p, r->compact_delay_ns);
		*p++ = ',';
	} else {
		memcpy(p, ",,,,", 4);
		p += 4;
	}
	if (r->cgroup_id)
		p = put_dec(p, r->cgroup_id);
	*p++ = ',';
	/* empty unless a PSS pass completed since the previous record */
	if (r->flags & MEMTRACE_SAMPLE_PSS_VALID) {
		PUT_U64(r->pss_kb);
		PUT_U64(r->pss_anon_kb);
		PUT_U64(r->pss_file_kb);
		PUT_U64(r->pss_shmem_kb);
		PUT_U64(r->uss_kb);
		if (r->swap_pss_kb != MEMTRACE_UNKNOWN)
			p = put_dec(p, r->swap_pss_kb);
		*p++ = ',';
		p = put_dec(p, r->pss_window_ns / 1000000);
	} else {
		memcpy(p, ",,,,,,", 6);
		p += 6;
	}
	/* --idle-ages: the record's figure for each column's threshold */
	for (size_t c = 0; c < n_idle_cols; c++) {
		*p++ = ',';
		if (!(r->flags & MEMTRACE_SAMPLE_IDLE_VALID))
			continue;
		for (size_t i = 0; i < MEMTRACE_IDLE_AGES; i++)
			if (r->idle_s[i] == idle_cols[c] &&
			    r->idle_kb[i] != MEMTRACE_UNKNOWN) {
				p = put_dec(p, r->idle_kb[i]);
				break;
			}
	}
	*p++ = '\n';
	return (size_t)(p - dst);
}

size_t mt_csv_sys_row(char *dst, const struct mt_record *r)
{
	const struct mt_sysinfo *y = &r->sys;
	char *p = dst;

	PUT_U64(r->hdr.ts_ns);
	PUT_U64(y->tick);
	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++) {
		if (y->v[i] != MEMTRACE_UNKNOWN)
			p = put_dec(p, y->v[i]);
		*p++ = ',';
	}
	PUT_U64(y->ticks_missed);
	PUT_U64(r->hdr.cpu);
	p = put_dec(p, r->hdr.seq);
	*p++ = '\n';
	return (size_t)(p - dst);
}

int mt_out_init(struct mt_out *o, int fd, const char *name, size_t cap)
{
	memset(o, 0, sizeof(*o));
	if (cap < 2 * MT_CSV_CG_ROW_MAX)
		cap = 2 * MT_CSV_CG_ROW_MAX;
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
	/* every record counted so far is complete, and now written */
	o->recs_out = o->recs;
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
	const char *h = mt_csv_head(false);

	return mt_out_write(o, h, strlen(h));
}

/* Make room for one row of at most @max bytes: 0, or -1 (the row is
 * counted, not written). */
static int row_room(struct mt_out *o, size_t max)
{
	if (o->err) {
		errno = o->err;
		o->recs++;
		return -1;
	}
	if (o->cap - o->len < max && mt_out_flush(o)) {
		o->recs++;
		return -1;
	}
	return 0;
}

int mt_out_row(struct mt_out *o, const struct mt_record *r)
{
	if (row_room(o, MT_CSV_ROW_MAX))
		return -1;
	o->len += mt_csv_row(o->buf + o->len, r);
	o->recs++;
	return 0;
}

/* The row just formatted in o->buf, ending at @p: add the time column
 * (empty when !@have_time) and commit it. */
static void commit_time(struct mt_out *o, char *p, bool have_time,
			int64_t real_ns)
{
	p[-1] = ',';		/* the row's newline */
	if (have_time)
		p += mt_csv_time(p, real_ns);
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
	o->recs++;
}

/* The row ending at @p: with the time column when @realtime; committed. */
static void commit_row(struct mt_out *o, char *p, bool realtime,
		       bool have_time, int64_t real_ns)
{
	if (realtime) {
		commit_time(o, p, have_time, real_ns);
		return;
	}
	o->len = (size_t)(p - o->buf);
	o->recs++;
}

int mt_out_row_time(struct mt_out *o, const struct mt_record *r,
		    bool have_time, int64_t real_ns)
{
	char *p;

	if (row_room(o, MT_CSV_ROW_MAX))
		return -1;
	p = o->buf + o->len;
	commit_time(o, p + mt_csv_row(p, r), have_time, real_ns);
	return 0;
}

/* ",NAME" for each of the @n @names.  0, or -1 (see mt_out_write()). */
static int put_names(struct mt_out *o, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mt_out_write(o, ",", 1) ||
		    mt_out_write(o, names[i], strlen(names[i])))
			return -1;
	return 0;
}

int mt_out_sys_header(struct mt_out *o, bool realtime)
{
	if (mt_out_write(o, "ts_ns,tick", 10) ||
	    put_names(o, mt_system_names, MEMTRACE_SYSTEM_FIGURES))
		return -1;
	if (realtime)
		return mt_out_write(o, ",ticks_missed,cpu,seq,time\n", 27);
	return mt_out_write(o, ",ticks_missed,cpu,seq\n", 22);
}

int mt_out_sys_row(struct mt_out *o, const struct mt_record *r, bool realtime,
		   bool have_time, int64_t real_ns)
{
	char *p;

	if (row_room(o, MT_CSV_SYS_ROW_MAX))
		return -1;
	p = o->buf + o->len;
	commit_row(o, p + mt_csv_sys_row(p, r), realtime, have_time, real_ns);
	return 0;
}

int mt_out_cg_header(struct mt_out *o, bool realtime)
{
	if (mt_out_write(o, "ts_ns,tick,cgroup_id,path", 25) ||
	    put_names(o, mt_cgroup_names, MEMTRACE_CGROUP_FIGURES))
		return -1;
	return realtime ? mt_out_write(o, ",time\n", 6) : mt_out_write(o, "\n", 1);
}

int mt_out_cg_row(struct mt_out *o, const struct mt_record *r, bool realtime,
		  bool have_time, int64_t real_ns)
{
	const struct mt_cginfo *c = &r->cg;
	size_t plen;
	char *p;

	if (row_room(o, MT_CSV_CG_ROW_MAX))
		return -1;
	p = o->buf + o->len;
	PUT_U64(r->hdr.ts_ns);
	PUT_U64(c->tick);
	PUT_U64(c->cgroup_id);
	plen = c->path_len > MEMTRACE_CGROUP_PATH_MAX ? MEMTRACE_CGROUP_PATH_MAX :
							c->path_len;
	/* quoted (libcsv, RFC 4180) only when it must be, like comm */
	if (comm_plain(c->path, plen)) {
		memcpy(p, c->path, plen);
		p += plen;
	} else {
		p += csv_write(p, 2 + 2 * (size_t)MEMTRACE_CGROUP_PATH_MAX,
			       c->path, plen);
	}
	for (size_t i = 0; i < MEMTRACE_CGROUP_FIGURES; i++) {
		*p++ = ',';
		if (c->v[i] != MEMTRACE_UNKNOWN)
			p = put_dec(p, c->v[i]);
	}
	*p++ = '\n';
	commit_row(o, p, realtime, have_time, real_ns);
	return 0;
}

void mt_out_report(struct mt_out *o)
{
	if (o->reported)
		return;
	o->reported = true;
	mt_msg("writing %s: %s", o->name, strerror(o->err ? o->err : errno));
}
