# SPDX-License-Identifier: GPL-2.0
# The reader's library: decoding, CSV, trace files, loss accounting and
# messages, shared by memtrace-reader (live and -i), the host tests and the
# fuzzer.  The other reader/*.c files are the tool itself (reader.h lists
# them) and are not linked into tests.  Included with READER_DIR set.
READER_LIB_SRCS := $(addprefix $(READER_DIR)/,crc32c.c decode.c csv.c msg.c session.c tracefile.c)
