/* client-libc/allow.c: the seccomp filter built from the allow-list, run
 * here by a small classic-BPF interpreter: every number reaches its row
 * or traps in a few steps, a number off the list always traps, one on it
 * does not with the arguments its row takes, another architecture is
 * killed. */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "client.h"

#define PID 4242
#define SOCK 7

/* The filter's verdict on d, and the instructions it ran. */
static uint32_t run(const struct lind_filter *f, const struct seccomp_data *d,
		    unsigned *steps)
{
	uint32_t a = 0;
	for (unsigned pc = 0, n = 0;; n++) {
		assert_true(pc < f->n); /* never runs off the end */
		const struct sock_filter *i = &f->ins[pc++];
		*steps = n + 1;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof *d && i->k % 4 == 0);
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += a & i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("instruction %#x not expected", i->code);
		}
	}
}

/* The numbers lind-run --allow-list prints. */
static void listed(bool on[1024])
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	assert_non_null(m);
	lind_allow_list_print(m);
	fclose(m);
	for (char *l = text; l && *l;) {
		unsigned nr = (unsigned)strtoul(l, NULL, 10);
		assert_true(nr < 1024);
		on[nr] = true;
		char *nl = strchr(l, '\n');
		l = nl ? nl + 1 : NULL;
	}
	free(text);
}

/* Arguments that open each kind of row: none, the magic, this process's
 * pid and socket with the flags its rows take. */
static void battery(struct seccomp_data *d, int k)
{
	memset(d->args, 0, sizeof d->args);
	if (k >= 1)
		d->args[LIND_HOST_ARG] = LIND_HOST_MAGIC;
	if (k == 2) {
		d->args[0] = PID;
	} else if (k == 3) {
		d->args[0] = SOCK;
		d->args[2] = LIND_RECV_FD_FLAGS;
		d->args[3] = LIND_PEEK_FLAGS;
	} else if (k == 4) {
		d->args[1] = d->args[4] = LIND_MAP_FD; /* dup3's, mmap's fd */
	} else if (k == 5) {
		d->args[0] = 2; /* the fatal line's fd */
	} else if (k == 6) {
		d->args[3] = MAP_ANONYMOUS;
	}
}

static void test_every_number(void **st)
{
	(void)st;
	static struct lind_filter f;
	lind_filter_build(&f, PID, SOCK);
	bool on[1024] = {false};
	listed(on);
	unsigned worst = 0, rows = 0;
	for (uint32_t nr = 0; nr < 1024; nr++) {
		bool passed = false;
		for (int k = 0; k < 7; k++) {
			struct seccomp_data d = {.nr = (int)nr,
						 .arch = AUDIT_ARCH_X86_64};
			battery(&d, k);
			unsigned steps;
			uint32_t v = run(&f, &d, &steps);
			worst = steps > worst ? steps : worst;
			if (!on[nr])
				assert_int_equal(v, SECCOMP_RET_TRAP);
			passed |= v != SECCOMP_RET_TRAP; /* ALLOW, or ERRNO */
			/* x32's numbers name the same calls: they trap */
			d.nr = (int)(nr | 0x40000000u);
			assert_int_equal(run(&f, &d, &steps), SECCOMP_RET_TRAP);
		}
		if (on[nr] && !passed)
			fail_msg("call %u is on the list but always traps", nr);
		rows += on[nr];
	}
	assert_true(rows > 30);
	/* a search tree: far fewer steps than one compare per row */
	assert_true(worst < 40);
	struct seccomp_data i386 = {.nr = 1, .arch = AUDIT_ARCH_I386};
	unsigned steps;
	assert_int_equal(run(&f, &i386, &steps), SECCOMP_RET_KILL_PROCESS);
}

/* One call's verdict: nr with fd in a0, a1, a2, the magic or not. */
static uint32_t verdict(const struct lind_filter *f, int nr, uint64_t a0,
			uint64_t a1, uint64_t a2, bool magic)
{
	struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
	d.args[0] = a0, d.args[1] = a1, d.args[2] = a2;
	if (magic)
		d.args[LIND_HOST_ARG] = LIND_HOST_MAGIC;
	unsigned steps;
	return run(f, &d, &steps);
}

/* The bell (LIND_BELL_FD): 8-byte writes with the magic, and a forked
 * child's dup3 onto its number; nothing else around it. */
static void test_bell(void **st)
{
	(void)st;
	static struct lind_filter f;
	lind_filter_build(&f, PID, SOCK);
	const uint64_t bell = LIND_BELL_FD(SOCK);
	assert_int_equal(verdict(&f, SYS_write, bell, 0, 8, true),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&f, SYS_write, 2, 0, 100, true),
			 SECCOMP_RET_ALLOW); /* the fatal line, any length */
	assert_int_equal(verdict(&f, SYS_write, bell, 0, 8, false),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_write, bell, 0, 9, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_write, bell, 0, 8ull << 32 | 8, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_write, 1, 0, 8, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_write, SOCK, 0, 8, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_write, bell + 1, 0, 8, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_dup3, 9, bell, 0, true),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&f, SYS_dup3, 9, SOCK, 0, true),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&f, SYS_dup3, 9, bell, 0, false),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_dup3, 9, bell + 1, 0, true),
			 SECCOMP_RET_TRAP);
	assert_int_equal(verdict(&f, SYS_dup3, 9, 1ull << 32 | bell, 0, true),
			 SECCOMP_RET_TRAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_number),
		cmocka_unit_test(test_bell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
