#!/bin/bash
# Command lines: wrong arguments give one line and a non-zero exit; a cage
# with no relay refuses to run against the host; lind-trace shows calls.
. "$(dirname "$0")/lib.sh"
build_tool

# one_line_error CMD...: prints exit status and line count of stderr
one_line_error() {
	"$@" >/dev/null 2>"$T/err"
	echo "$? $(wc -l <"$T/err")"
}
expect_eq "posix-server --bogus" "2 1" "$(one_line_error "$SERVER" --bogus)"
expect_eq "nacl-relay --bogus" "2 1" "$(one_line_error "$RELAY" --bogus)"
expect_eq "lind-run with no program" "2 1" "$(one_line_error "$LIND_RUN")"
expect_eq "lind-run of a missing program" "127 1" "$(one_line_error "$LIND_RUN" /nonexistent/prog)"
printf 'not a program\n' >"$T/text" && chmod +x "$T/text"
expect_eq "lind-run of a file that is no program" "126 1" "$(one_line_error "$LIND_RUN" "$T/text")"
check "... saying so" grep -q "not an x86-64 program" "$T/err"
printf '#!/nonexistent/interp\n' >"$T/script" && chmod +x "$T/script"
expect_eq "lind-run of a script whose interpreter is missing" "127 1" "$(one_line_error "$LIND_RUN" "$T/script")"
expect_eq "a host program with no relay exits 127" "127 1" "$(one_line_error "$LIND_RUN" /bin/true)"
expect_eq "a cage with no relay exits 127" "127 1" "$(one_line_error "$TOOL" loop 1 /)"
check "... naming where it looked" grep -q "$LIND_RUNTIME_DIR/relay.sock" "$T/err"
expect_eq "lind-trace with no relay" "1 1" "$(one_line_error timeout 20 "$LIND_TRACE")"
check "posix-server --help" "$SERVER" --help
check "nacl-relay --help" "$RELAY" --help

start_daemons || exit 1
"$LIND_TRACE" -T >"$T/trace.out" 2>"$T/trace.err" & tracer=$!
check "lind-trace attaches" wait_for 10 grep -q attached "$T/trace.err"
cage probe /nope >/dev/null
cage enosys >"$T/enosys.out"
expect_eq "an unknown call answers ENOSYS" "syscall 999 = -1 ENOSYS" "$(cat "$T/enosys.out")"
cage write /tmp/traced hi >/dev/null
sleep 0.5
kill -INT $tracer
wait $tracer
expect_eq "lind-trace exits cleanly" 0 $?
check "trace shows an open with its path and errno" \
	grep -Eq 'open(at)?\(.*"/nope".* = -1 ENOENT' "$T/trace.out"
check "trace shows the unknown call" grep -Eq 'syscall_999.*ENOSYS' "$T/trace.out"
check "trace shows written bytes" grep -Eq 'write\(3, "hi", 2\) = 2' "$T/trace.out"
check "trace shows attach" grep -q 'attached' "$T/trace.out"
check "trace -T shows latency, as strace" grep -Eq ' <[0-9]+\.[0-9]{6}>$' "$T/trace.out"
check "trace lines carry the cage id" grep -Eq '^\[cage [0-9]+\]' "$T/trace.out"
expect_eq "cages run on after lind-trace leaves" "looped 5" "$(cage loop 5 /)"

# attach SOCKET BYTES-AS-HEX: send one raw Attach frame, print the reply
attach_raw() {
	python3 - "$LIND_RUNTIME_DIR/relay.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(bytes.fromhex(sys.argv[2]))
print(s.recv(4096).decode("latin-1"))
PY
}
# Attach{version: 999}
check "a protocol version mismatch names both versions" \
	grep -q "protocol version mismatch: cage speaks 999, relay speaks 4" \
	<(attach_raw 08e707)
check "a garbage attach frame is refused" grep -q . <(attach_raw ffffffffff)
expect_eq "the relay survives bad attaches" "looped 2" "$(cage loop 2 /)"
