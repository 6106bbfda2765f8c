# unit tests: relay (cmocka)
check_PROGRAMS += tests/unit/test_relay_check tests/unit/test_relay_path \
	tests/unit/test_relay_load
TESTS += tests/unit/test_relay_check tests/unit/test_relay_path \
	tests/unit/test_relay_load
RELAY_UNIT_LIBS = nacl-relay/librelay.la $(UNIT_LIBS) $(NANOMSG_LIBS) $(EV_LIBS) -lpthread
tests_unit_test_relay_check_SOURCES = tests/unit/test_relay_check.c
tests_unit_test_relay_check_CFLAGS = $(UNIT_CFLAGS) -I$(srcdir)/nacl-relay
tests_unit_test_relay_check_LDFLAGS = $(SAN_LD)
tests_unit_test_relay_check_LDADD = $(RELAY_UNIT_LIBS)
tests_unit_test_relay_path_SOURCES = tests/unit/test_relay_path.c
tests_unit_test_relay_path_CFLAGS = $(UNIT_CFLAGS) -I$(srcdir)/nacl-relay
tests_unit_test_relay_path_LDFLAGS = $(SAN_LD)
tests_unit_test_relay_path_LDADD = $(RELAY_UNIT_LIBS)
tests_unit_test_relay_load_SOURCES = tests/unit/test_relay_load.c
tests_unit_test_relay_load_CFLAGS = $(UNIT_CFLAGS) -I$(srcdir)/nacl-relay
tests_unit_test_relay_load_LDFLAGS = $(SAN_LD)
tests_unit_test_relay_load_LDADD = $(RELAY_UNIT_LIBS)
