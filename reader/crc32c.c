// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C of the trace file's blocks (crc32c.h).
 *
 * Why not a library: Debian's CRC32C libraries (libisal-dev's
 * crc32_iscsi(), libcrcutil-dev) ship shared objects only, and
 * memtrace-reader is linked statically (it runs alone in the test VM's
 * initramfs and in the memtrace-tools package).  So this is the CPU's
 * crc32 instruction (SSE4.2), which is the algorithm, and the classic
 * byte-at-a-time table where it is missing; tests/host checks both against
 * RFC 3720's published values.
 */
#include <string.h>

#include "crc32c.h"

#define CRC32C_POLY 0x82F63B78u	/* reflected Castagnoli polynomial */

static uint32_t table[256];
static bool table_ready, use_hw, hw_checked;

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

static bool have_hw(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}
#else
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
	c = use_hw ? crc_hw(c, p, n) : crc_table(c, p, n);
	return ~c;
}
