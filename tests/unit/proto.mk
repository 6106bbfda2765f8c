# unit tests: proto (cmocka)
check_PROGRAMS += tests/unit/test_proto_format tests/unit/test_proto_ring \
	tests/unit/test_proto_table tests/unit/test_proto_wire \
	tests/unit/test_proto_sha256
TESTS += tests/unit/test_proto_format tests/unit/test_proto_ring \
	tests/unit/test_proto_table tests/unit/test_proto_wire \
	tests/unit/test_proto_sha256
tests_unit_test_proto_sha256_SOURCES = tests/unit/test_proto_sha256.c
tests_unit_test_proto_sha256_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_sha256_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_sha256_LDADD = $(UNIT_LIBS)
tests_unit_test_proto_format_SOURCES = tests/unit/test_proto_format.c
tests_unit_test_proto_format_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_format_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_format_LDADD = $(UNIT_LIBS)
tests_unit_test_proto_ring_SOURCES = tests/unit/test_proto_ring.c
tests_unit_test_proto_ring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_ring_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_ring_LDADD = $(UNIT_LIBS)
tests_unit_test_proto_table_SOURCES = tests/unit/test_proto_table.c
tests_unit_test_proto_table_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_table_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_table_LDADD = $(UNIT_LIBS)
tests_unit_test_proto_wire_SOURCES = tests/unit/test_proto_wire.c
tests_unit_test_proto_wire_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_wire_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_wire_LDADD = $(UNIT_LIBS)
# The names table against this machine's <asm/unistd_64.h>: every __NR_*
# as NR(number, name), taken from the preprocessor (no second list to drift)
check_PROGRAMS += tests/unit/test_proto_names
TESTS += tests/unit/test_proto_names
BUILT_SOURCES += tests/unit/unistd_names.h
CLEANFILES += tests/unit/unistd_names.h
tests/unit/unistd_names.h: Makefile
	@$(MKDIR_P) tests/unit
	$(AM_V_GEN)echo '#include <asm/unistd_64.h>' | $(CPP) -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/NR(\2, \1)/p' \
		> $@.tmp && test -s $@.tmp && mv $@.tmp $@
tests_unit_test_proto_names_SOURCES = tests/unit/test_proto_names.c
nodist_tests_unit_test_proto_names_SOURCES = tests/unit/unistd_names.h
tests_unit_test_proto_names_CFLAGS = $(UNIT_CFLAGS) -I$(builddir)/tests/unit
tests_unit_test_proto_names_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_names_LDADD = $(UNIT_LIBS)
# the remote link: secret, handshake, stdio (nanomsg inproc)
check_PROGRAMS += tests/unit/test_proto_link
TESTS += tests/unit/test_proto_link
tests_unit_test_proto_link_SOURCES = tests/unit/test_proto_link.c
tests_unit_test_proto_link_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_link_LDFLAGS = $(SAN_LD)
tests_unit_test_proto_link_LDADD = proto/liblink.la $(UNIT_LIBS) $(NANOMSG_LIBS) -lpthread
