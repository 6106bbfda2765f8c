#!/bin/bash
# Every program in tests/cases/ is built with cc and with lind-cc; both run
# (natively, and as a cage through lind-run) and must print the same thing
# and exit with the same status.  NAME.stdin, when present, is their stdin.
# CASE=GLOB runs only the cases it matches (CASE='sock_*').
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1

for src in "$CASES"/${CASE:-*}.c; do
	name=$(basename "$src" .c)
	if ! build "$name" "$src"; then
		not_ok "$name: builds with cc and lind-cc"
		diag "$T/bin/$name".*.err
		continue
	fi
	input=/dev/null
	[ -f "$CASES/$name.stdin" ] && input="$CASES/$name.stdin"
	scratch="/tmp/lind-case-$$-$name"
	(cd "$T" && CASE_SCRATCH="$scratch" "$T/bin/$name.native" <"$input" \
		>"$T/$name.native.out" 2>&1)
	native_st=$?
	rm -rf "$scratch"
	CASE_SCRATCH="$scratch" "$LIND_RUN" "$T/bin/$name.lind" <"$input" \
		>"$T/$name.lind.out" 2>&1
	lind_st=$?
	if cmp -s "$T/$name.native.out" "$T/$name.lind.out" &&
		[ "$native_st" = "$lind_st" ]; then
		ok "$name: same output and status ($native_st) natively and in a cage"
	else
		not_ok "$name: native status $native_st, cage status $lind_st"
		diff -u "$T/$name.native.out" "$T/$name.lind.out" | head -40 | diag
	fi
	if [ -d "$scratch" ]; then
		not_ok "$name: the cage's files stay off the host ($scratch exists)"
		rm -rf "$scratch"
	fi
done
