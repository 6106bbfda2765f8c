/* The names table (proto/syscall_names.def): every __NR_* this machine's
 * <asm/unistd_64.h> knows has its entry, under the same name; every row of
 * syscall_table.def has its name entry; classes and their parser; the
 * trace names calls the table does not serve. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lind.pb-c.h"
#include "syscall.h"

static const struct {
	long nr;
	const char *name;
} header[] = {
#define NR(n, name) {n, #name},
#include "unistd_names.h"
#undef NR
};

static void test_every_header_number(void **st)
{
	(void)st;
	size_t n = sizeof header / sizeof header[0];
	assert_true(n > 350); /* the header was read at all */
	for (size_t i = 0; i < n; i++) {
		const struct lind_sysname *s = lind_sysname((uint64_t)header[i].nr);
		if (!s)
			fail_msg("__NR_%s (%ld) has no entry in syscall_names.def",
				 header[i].name, header[i].nr);
		if (strcmp(s->name, header[i].name))
			fail_msg("%ld is %s in <asm/unistd_64.h>, %s in "
				 "syscall_names.def", header[i].nr,
				 header[i].name, s->name);
		assert_true(s->nargs <= 6);
		assert_true(s->flags_arg < (int)s->nargs);
		assert_int_equal(s->classes & ~LC_ALL, 0);
	}
}

static void test_rows_have_names(void **st)
{
	(void)st;
	for (int nr = 0; nr < LIND_NR_MAX; nr++) {
		const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
		if (!row)
			continue;
		const struct lind_sysname *s = lind_sysname((uint64_t)nr);
		assert_non_null(s);
		assert_string_equal(s->name, row->name);
		int nargs = 6;
		while (nargs && row->arg[nargs - 1].kind == LK_NONE)
			nargs--;
		assert_int_equal(s->nargs, nargs);
	}
	/* lind's own calls, past Linux's last */
	assert_string_equal(lind_sysname(LIND_SYS_lind_cancel)->name,
			    "lind_cancel");
	assert_string_equal(lind_sysname(LIND_SYS_lind_refused)->name,
			    "lind_refused");
	assert_null(lind_sysname(335)); /* reserved on x86-64 */
	assert_null(lind_sysname(LIND_NR_MAX));
	assert_null(lind_sysname(UINT64_MAX));
}

static uint32_t classes(uint64_t nr, int64_t a0, int64_t a1, int64_t a2)
{
	int64_t a[6] = {a0, a1, a2, 0, 0, 0};
	return lind_call_classes(nr, a, 6);
}

static void test_classes(void **st)
{
	(void)st;
	assert_int_equal(classes(41, 2, 1, 0), LC_NET);           /* socket */
	assert_true(classes(59, 0, 0, 0) & LC_EXEC);              /* execve */
	assert_true(classes(83, 0, 0, 0) & LC_WRITE);             /* mkdir */
	assert_true(classes(87, 0, 0, 0) & LC_WRITE);             /* unlink */
	assert_true(classes(316, 0, 0, 0) & LC_WRITE);            /* renameat2 */
	assert_false(classes(4, 0, 0, 0) & LC_WRITE);             /* stat */
	assert_false(classes(1, 1, 0, 3) & LC_WRITE);             /* write(1) */
	/* open and openat: write only with flags that can change the tree */
	assert_false(classes(2, 0, 0 /* O_RDONLY */, 0) & LC_WRITE);
	assert_false(classes(2, 0, 04000 | 02000000, 0) & LC_WRITE);
	static const int64_t w[] = {01, 02, 03, 0100, 01000, 02000, 020200000};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		assert_true(classes(2, 0, w[i], 0) & LC_WRITE);
		assert_true(classes(257, -100, 0, w[i]) & LC_WRITE);
		assert_false(classes(257, -100, w[i], 0) & LC_WRITE);
	}
	assert_true(classes(437, 0, 0, 0) & LC_WRITE); /* openat2: always */
	assert_int_equal(classes(49, 3, 0, 16), LC_NET | LC_WRITE); /* bind */
	/* missing arguments read as 0 */
	int64_t one[1] = {0};
	assert_false(lind_call_classes(257, one, 1) & LC_WRITE);
	assert_int_equal(lind_call_classes(999, one, 1), 0);
}

static void test_class_parse(void **st)
{
	(void)st;
	uint32_t m = 0;
	char err[200] = "";
	assert_int_equal(lind_class_parse("net", &m, err, sizeof err), 0);
	assert_int_equal(m, LC_NET);
	assert_int_equal(lind_class_parse("write,net,net", &m, err, sizeof err), 0);
	assert_int_equal(m, LC_NET | LC_WRITE);
	for (uint32_t bit = 1; bit <= LC_ALL; bit <<= 1) {
		assert_int_equal(lind_class_parse(lind_class_name(bit), &m, err,
						  sizeof err), 0);
		assert_int_equal(m, bit);
	}
	assert_null(lind_class_name(0));
	assert_null(lind_class_name(LC_NET | LC_FILE));
	assert_null(lind_class_name(LC_ALL + 1));
	static const char *bad[] = {"", "nett", "net,", ",net", "NET", "net,,write",
				    "net write"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = 77;
		err[0] = '\0';
		assert_int_equal(lind_class_parse(bad[i], &m, err, sizeof err),
				 -EINVAL);
		assert_int_equal(m, 77); /* untouched */
		assert_non_null(strstr(err, "valid: file,desc,net,proc,exec,"));
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(lind_class_parse("bogus", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown class 'bogus' (valid: file,desc,net,"
			    "proc,exec,signal,memory,ipc,time,creds,system,write)");
}

static const char *line(uint32_t nr, const int64_t *a, size_t n,
			const char *path, int64_t result, const char *refused)
{
	static char buf[512];
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData d = {path ? strlen(path) : 0, (uint8_t *)path};
	ev.cage_id = 2;
	ev.nr = nr;
	ev.args = (int64_t *)a;
	ev.n_args = n;
	ev.data = path ? &d : NULL;
	ev.n_data = path ? 1 : 0;
	ev.result = result;
	ev.refused = (char *)refused;
	lind_format_event(buf, sizeof buf, &ev);
	return buf;
}

static void test_trace_names(void **st)
{
	(void)st;
	int64_t a[6] = {0, 3, 0x7ffd1000, 0, 0, 0};
	/* unserved: its name, its argument count, hex */
	assert_string_equal(line(276, a, 6, NULL, -ENOSYS, NULL),
			    "[cage 2] tee(0x0, 0x3, 0x7ffd1000, 0x0) = -1 ENOSYS");
	assert_string_equal(line(155, a, 6, NULL, -ENOSYS, NULL),
			    "[cage 2] pivot_root(0x0, 0x3) = -1 ENOSYS");
	assert_string_equal(line(39, NULL, 0, NULL, -EPERM, "filter"),
			    "[cage 2] getpid() = -1 EPERM (filter)");
	/* refused by the client: raw, even for a call with a row */
	int64_t k[6] = {1, 9, 0, 0, 0, 0};
	assert_string_equal(line(62, k, 6, NULL, -ESRCH, "filter"),
			    "[cage 2] kill(0x1, 0x9) = -1 ESRCH (filter)");
	/* refused by the relay's policy: decoded as usual, with the class */
	int64_t o[6] = {-100, 0, 0101, 0644, 0, 0};
	assert_string_equal(line(257, o, 6, "/tmp/x", -EPERM, "policy: write"),
			    "[cage 2] openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT, "
			    "0644) = -1 EPERM (policy: write)");
	assert_string_equal(line(83, o + 1, 2, "/d", -EINVAL,
				 "relay check: NUL inside a path"),
			    "[cage 2] mkdir(\"/d\", 0101) = -1 EINVAL (relay check: "
			    "NUL inside a path)");
	/* no such call anywhere */
	assert_string_equal(line(400, k, 6, NULL, -ENOSYS, NULL),
			    "[cage 2] syscall_400(0x1, 0x9) = -1 ENOSYS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_header_number),
		cmocka_unit_test(test_rows_have_names),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_class_parse),
		cmocka_unit_test(test_trace_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
