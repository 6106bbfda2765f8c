#!/bin/bash
# Every program in tests/cases/ is built with cc and with lind-cc; both run
# (natively, and as a cage through lind-run) and must print the same thing
# and exit with the same status.  NAME.stdin, when present, is their stdin.
# CASE=GLOB runs only the cases it matches (CASE='sock_*').
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1

for src in "$CASES"/${CASE:-*}.c; do
	compare_case "$(basename "$src" .c)" "in a cage"
done
