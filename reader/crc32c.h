/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crc32c.h - CRC32C (Castagnoli), the checksum of a trace file's blocks.
 */
#ifndef MEMTRACE_READER_CRC32C_H
#define MEMTRACE_READER_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * mt_crc32c() - CRC32C of @n bytes at @p, continuing @crc (0 to start).
 *
 * The CRC of iSCSI (RFC 3720 section 12.1 and its appendix B.4 test
 * values), ext4 and btrfs: reflected polynomial 0x82F63B78, initial value
 * and final XOR 0xFFFFFFFF (applied here, so that a CRC over two pieces is
 * mt_crc32c(mt_crc32c(0, a, na), b, nb)).  With SSE4.2 (every x86-64 CPU
 * since 2008) the crc32 instruction, 8 bytes at a time; else a table.
 */
uint32_t mt_crc32c(uint32_t crc, const void *p, size_t n);

/* Tests only: force the table (@on false) or the instruction if present. */
void mt_crc32c_use_hw(bool on);

#endif /* MEMTRACE_READER_CRC32C_H */
