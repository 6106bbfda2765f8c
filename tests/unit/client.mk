# unit tests: client (cmocka)
# Marshalling and lind_syscall() without a channel: the test links
# client-libc's marshal.c and syscall.c only (no attach.c constructor, no
# seccomp filter) and plays the relay itself.  Never sanitized, like
# client-libc.
check_PROGRAMS += tests/unit/test_client_marshal
TESTS += tests/unit/test_client_marshal
tests_unit_test_client_marshal_SOURCES = tests/unit/test_client_marshal.c \
	client-libc/marshal.c client-libc/syscall.c client-libc/hostfd.c \
	client-libc/hooks.c client-libc/fork.c client-libc/sockmsg.c \
	client-libc/client.h
tests_unit_test_client_marshal_CFLAGS = $(LIND_CFLAGS) $(CMOCKA_CFLAGS) \
	$(PROTOBUF_C_CFLAGS) -I$(srcdir)/client-libc
tests_unit_test_client_marshal_LDADD = proto/libproto_client.la \
	$(PROTOBUF_C_LIBS) $(CMOCKA_LIBS)
$(tests_unit_test_client_marshal_OBJECTS): $(PROTO_GEN)
# The seccomp filter, run by an interpreter in the test (allow.c only).
check_PROGRAMS += tests/unit/test_client_filter
TESTS += tests/unit/test_client_filter
tests_unit_test_client_filter_SOURCES = tests/unit/test_client_filter.c \
	client-libc/allow.c client-libc/client.h
tests_unit_test_client_filter_CFLAGS = $(LIND_CFLAGS) $(CMOCKA_CFLAGS) \
	$(PROTOBUF_C_CFLAGS) -I$(srcdir)/client-libc
tests_unit_test_client_filter_LDADD = proto/libproto_client.la \
	$(PROTOBUF_C_LIBS) $(CMOCKA_LIBS)
$(tests_unit_test_client_filter_OBJECTS): $(PROTO_GEN)
