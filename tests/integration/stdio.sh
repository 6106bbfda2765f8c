#!/bin/bash
# A cage's fds 0/1/2 are its launcher's: pipes and files pass through.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool
build upper "$CASES/stdin_upper.c" || not_ok "stdin_upper builds"

expect_eq "stdin from a pipe" "got: hi" "$(echo hi | cage readstdin)"
expect_eq "stdout into a pipe" "HELLO" \
	"$(echo hello | "$LIND_RUN" "$T/bin/upper.lind" | grep HELLO)"
"$LIND_RUN" "$T/bin/upper.lind" <"$CASES/stdin_upper.stdin" >"$T/out.txt"
"$LIND_RUN" "$T/bin/upper.lind" <"$CASES/stdin_upper.stdin" >>"$T/out.txt"
"$T/bin/upper.native" <"$CASES/stdin_upper.stdin" >"$T/native.txt"
"$T/bin/upper.native" <"$CASES/stdin_upper.stdin" >>"$T/native.txt"
check "stdout to a file, then appended (>>)" cmp -s "$T/native.txt" "$T/out.txt"
expect_eq "stderr stays separate" "" "$(cage nosuchcommand 2>/dev/null)"
expect_eq "stderr reaches the launcher" "cagetool: unknown command 'nosuchcommand'" \
	"$(cage nosuchcommand 2>&1 >/dev/null)"
head -c 300000 /dev/urandom >"$T/rand"
"$LIND_RUN" "$T/bin/upper.lind" <"$T/rand" >"$T/rand.lind"
"$T/bin/upper.native" <"$T/rand" >"$T/rand.native"
check "300 KB through stdin and stdout" cmp -s "$T/rand.native" "$T/rand.lind"
expect_eq "one big read of a file on stdin is whole" \
	"$("$TOOL_NATIVE" slurp <"$T/rand")" "$(cage slurp <"$T/rand")"

# a signal interrupts a read that waits, as natively (brief, decision 3)
native=$( (sleep 2; echo x) | "$TOOL_NATIVE" eintr)
expect_eq "a signal interrupts a waiting read (EINTR, or restart)" \
	"$native" "$( (sleep 2; echo x) | cage eintr)"

# a terminal: glibc sees a tty, and a read waits for the line (script(1)
# gives the cage a pseudo-terminal)
if command -v script >/dev/null; then
	out=$( (sleep 1; echo typed) | script -qec "'$LIND_RUN' '$TOOL' tty" /dev/null | tr -d '\r')
	check "a cage on a terminal sees a tty" grep -qx "isatty 1 1" <<<"$out"
	check "a read from the terminal waits for the line" grep -qx "got: typed" <<<"$out"
else
	ok "terminal # SKIP script(1) is not installed"
fi
