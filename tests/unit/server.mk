# unit tests: server (cmocka)
SERVER_TESTS = tests/unit/test_server_path tests/unit/test_server_fdtable \
	tests/unit/test_server_dir tests/unit/test_server_store \
	tests/unit/test_server_sys tests/unit/test_server_loop \
	tests/unit/test_server_bind tests/unit/test_server_procfs \
	tests/unit/test_server_attr tests/unit/test_server_wait \
	tests/unit/test_server_pipe tests/unit/test_server_shm \
	tests/unit/test_server_fsck tests/unit/test_server_cred \
	tests/unit/test_server_atime tests/unit/test_server_poll \
	tests/unit/test_server_sock \
	tests/unit/test_server_net
check_PROGRAMS += $(SERVER_TESTS)
TESTS += $(SERVER_TESTS)
EXTRA_DIST += tests/unit/test_server_util.h tests/unit/test_server_relay.h
SERVER_TEST_LIBS = posix-server/libserver.la $(UNIT_LIBS) $(EV_LIBS)

tests_unit_test_server_path_SOURCES = tests/unit/test_server_path.c
tests_unit_test_server_path_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_path_LDFLAGS = $(SAN_LD)
tests_unit_test_server_path_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_fdtable_SOURCES = tests/unit/test_server_fdtable.c
tests_unit_test_server_fdtable_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_fdtable_LDFLAGS = $(SAN_LD)
tests_unit_test_server_fdtable_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_dir_SOURCES = tests/unit/test_server_dir.c
tests_unit_test_server_dir_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_dir_LDFLAGS = $(SAN_LD)
tests_unit_test_server_dir_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_store_SOURCES = tests/unit/test_server_store.c
tests_unit_test_server_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_store_LDFLAGS = $(SAN_LD)
tests_unit_test_server_store_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_sys_SOURCES = tests/unit/test_server_sys.c
tests_unit_test_server_sys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_sys_LDFLAGS = $(SAN_LD)
tests_unit_test_server_sys_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_loop_SOURCES = tests/unit/test_server_loop.c
tests_unit_test_server_loop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_loop_LDFLAGS = $(SAN_LD)
tests_unit_test_server_loop_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_attr_SOURCES = tests/unit/test_server_attr.c
tests_unit_test_server_attr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_attr_LDFLAGS = $(SAN_LD)
tests_unit_test_server_attr_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_bind_SOURCES = tests/unit/test_server_bind.c
tests_unit_test_server_bind_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_bind_LDFLAGS = $(SAN_LD)
tests_unit_test_server_bind_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_procfs_SOURCES = tests/unit/test_server_procfs.c
tests_unit_test_server_procfs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_procfs_LDFLAGS = $(SAN_LD)
tests_unit_test_server_procfs_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_wait_SOURCES = tests/unit/test_server_wait.c
tests_unit_test_server_wait_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_wait_LDFLAGS = $(SAN_LD)
tests_unit_test_server_wait_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_sock_SOURCES = tests/unit/test_server_sock.c
tests_unit_test_server_sock_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_sock_LDFLAGS = $(SAN_LD)
tests_unit_test_server_sock_LDADD = $(SERVER_TEST_LIBS)
tests_unit_test_server_pipe_SOURCES = tests/unit/test_server_pipe.c
tests_unit_test_server_pipe_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_pipe_LDFLAGS = $(SAN_LD)
tests_unit_test_server_pipe_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_shm_SOURCES = tests/unit/test_server_shm.c
tests_unit_test_server_shm_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_shm_LDFLAGS = $(SAN_LD)
tests_unit_test_server_shm_LDADD = $(SERVER_TEST_LIBS)

# fsck and format: the checker is lind-fs's, not the server's (STORE_CHECK)
tests_unit_test_server_fsck_SOURCES = tests/unit/test_server_fsck.c \
	$(STORE_CHECK_SRC)
tests_unit_test_server_fsck_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_fsck_LDFLAGS = $(SAN_LD)
tests_unit_test_server_fsck_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_cred_SOURCES = tests/unit/test_server_cred.c
tests_unit_test_server_cred_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_cred_LDFLAGS = $(SAN_LD)
tests_unit_test_server_cred_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_atime_SOURCES = tests/unit/test_server_atime.c
tests_unit_test_server_atime_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_atime_LDFLAGS = $(SAN_LD)
tests_unit_test_server_atime_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_poll_SOURCES = tests/unit/test_server_poll.c
tests_unit_test_server_poll_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_poll_LDFLAGS = $(SAN_LD)
tests_unit_test_server_poll_LDADD = $(SERVER_TEST_LIBS)

tests_unit_test_server_net_SOURCES = tests/unit/test_server_net.c
tests_unit_test_server_net_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_server_net_LDFLAGS = $(SAN_LD)
tests_unit_test_server_net_LDADD = $(SERVER_TEST_LIBS)
