// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C of the trace file's blocks (crc32c.h).
 *
 * Why not a library: Debian's CRC32C libraries (libisal-dev's
 * crc32_iscsi(), libcrcutil-dev) ship shared objects only, and
 * memtrace-reader is linked statically (it runs alone in the test VM's
 * initramfs and in the memtrace-tools package).  So this is the CPU's
 * crc32 instruction (SSE4.2), which is the algorithm, three lanes at a time
 * on long inputs (joined as zlib's crc32_combine() joins CRCs), and the
 * classic byte-at-a-time table where the instruction is missing;
 * tests/host checks the table against RFC 3720's published values and the
 * instruction paths against the table.
 */
#include <string.h>

#include "crc32c.h"

#define CRC32C_POLY 0x82F63B78u	/* reflected Castagnoli polynomial */

static uint32_t table[256];
static bool table_ready, use_hw, hw_checked;
/* x2n[k] = x^(2^k) mod P, for shifting a CRC over zero bytes (crc_shift()) */
static uint32_t x2n[32];
static bool x2n_ready;

/*
 * a * b mod P, both polynomials in the reflected bit order of the CRC (bit
 * 31 is x^0): as zlib's multmodp() (crc32.c), for CRC32C's polynomial.
 */
static uint32_t multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if (!(a & (m - 1)))
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return p;
}

/*
 * The operator that appends @n zero bytes to a CRC: x^(8n) mod P, by the
 * binary digits of n (zlib's x2nmodp(n, 3)).
 */
static uint32_t crc_shift(size_t n)
{
	uint32_t p = 1u << 31;	/* x^0 */
	unsigned int k = 3;

	if (!x2n_ready) {
		uint32_t q = 1u << 30;	/* x^1 */

		x2n[0] = q;
		for (int i = 1; i < 32; i++)
			x2n[i] = q = multmodp(q, q);
		x2n_ready = true;
	}
	for (; n; n >>= 1, k++)
		if (n & 1)
			p = multmodp(x2n[k & 31], p);
	return p;
}

static void make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		table[i] = c;
	}
	table_ready = true;
}

static uint32_t crc_table(uint32_t c, const unsigned char *p, size_t n)
{
	if (!table_ready)
		make_table();
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t n)
{
	uint64_t c64 = c, v;

	for (; n && ((uintptr_t)p & 7); n--)
		c64 = _mm_crc32_u8((uint32_t)c64, *p++);
	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&v, p, 8);
		c64 = _mm_crc32_u64(c64, v);
	}
	for (; n; n--)
		c64 = _mm_crc32_u8((uint32_t)c64, *p++);
	return (uint32_t)c64;
}

/*
 * Long inputs: three lanes at once.  One crc32 instruction has a latency of
 * three cycles but a throughput of one per cycle, so a single chain runs at
 * a third of the instruction's speed; three independent chains over the
 * three thirds, joined with crc_shift() (CRC(AB) = shift(CRC(A), |B|) ^
 * CRC(B), as zlib's crc32_combine()), run at about its full speed.
 */
#define CRC_LANES_MIN 3072	/* below this a single chain is as fast */

__attribute__((target("sse4.2")))
static uint32_t crc_hw3(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t lane = (n / 3) & ~(size_t)7;
	const unsigned char *pb = p + lane, *pc = p + 2 * lane;
	uint64_t a = (uint32_t)~crc, b = 0xffffffffu, c = 0xffffffffu;
	uint64_t va, vb, vc;
	uint32_t op, r;

	for (size_t i = 0; i < lane; i += 8) {
		memcpy(&va, p + i, 8);
		memcpy(&vb, pb + i, 8);
		memcpy(&vc, pc + i, 8);
		a = _mm_crc32_u64(a, va);
		b = _mm_crc32_u64(b, vb);
		c = _mm_crc32_u64(c, vc);
	}
	op = crc_shift(lane);
	r = multmodp(op, multmodp(op, ~(uint32_t)a) ^ ~(uint32_t)b) ^ ~(uint32_t)c;
	/* the bytes after the three lanes */
	return ~crc_hw(~r, p + 3 * lane, n - 3 * lane);
}

static bool have_hw(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}
#else
#define CRC_LANES_MIN SIZE_MAX

static uint32_t crc_hw3(uint32_t crc, const unsigned char *p, size_t n)
{
	return ~crc_table(~crc, p, n);
}

static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t n)
{
	return crc_table(c, p, n);
}

static bool have_hw(void)
{
	return false;
}
#endif

void mt_crc32c_use_hw(bool on)
{
	use_hw = on && have_hw();
	hw_checked = true;
}

uint32_t mt_crc32c(uint32_t crc, const void *p, size_t n)
{
	uint32_t c = ~crc;

	if (!hw_checked)
		mt_crc32c_use_hw(true);
	if (use_hw && n >= CRC_LANES_MIN)
		return crc_hw3(crc, p, n);
	c = use_hw ? crc_hw(c, p, n) : crc_table(c, p, n);
	return ~c;
}
