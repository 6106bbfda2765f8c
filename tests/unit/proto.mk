# unit tests: proto (cmocka)
check_PROGRAMS += tests/unit/test_proto_format tests/unit/test_proto_ring \
	tests/unit/test_proto_table
TESTS += tests/unit/test_proto_format tests/unit/test_proto_ring \
	tests/unit/test_proto_table
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
