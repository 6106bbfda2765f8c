#!/bin/bash
# lind-run --deny CLASS: the relay refuses those calls with EPERM without
# the server, and the trace says so; the trace names every call, served or
# not, and says why a call was refused.
. "$(dirname "$0")/lib.sh"
build_tool
build policy "$LIND_SRC/tests/integration/progs/policy_cage.c" || {
	echo "Bail out! policy_cage does not build"
	cat "$T"/bin/policy.*.err >&2
	exit 1
}
P="$T/bin/policy.lind"

# one_line_error CMD...: exit status and line count of stderr
one_line_error() {
	"$@" >/dev/null 2>"$T/err"
	echo "$? $(wc -l <"$T/err")"
}
expect_eq "lind-run --deny with an unknown class" "2 1" \
	"$(one_line_error "$LIND_RUN" --deny net,bogus "$P" net)"
check "... names the valid classes" grep -q "valid: file,desc,net,proc,exec,signal,memory,ipc,time,creds,system,write" "$T/err"
expect_eq "lind-run --deny with no list" "2 1" "$(one_line_error "$LIND_RUN" --deny)"

start_daemons || exit 1
"$LIND_TRACE" >"$T/trace.out" 2>"$T/trace.err" & tracer=$!
check "lind-trace attaches" wait_for 10 grep -q attached "$T/trace.err"

cage mkdir /tmp/ro >/dev/null
cage mkdir /tmp/ro/sub >/dev/null
cage write /tmp/ro/data "the data" >/dev/null

# the store as the host sees it: every file's name, size and bytes
store_state() {
	(cd "$LIND_STORE" && find . -type f ! -name lock -print0 | sort -z |
		xargs -0 sha256sum)
}
# read once first: a read moves atime (relatime) even under --deny write,
# as on Linux a reader who may not write moves it; the reads below then
# find it after the file's last change and journal nothing
cage cat /tmp/ro/data >/dev/null
before=$(store_state)

# --deny write: reads and stdio work, every change is EPERM
expect_eq "--deny write: a cage reads and prints" "the data" \
	"$("$LIND_RUN" --deny write "$P" cat /tmp/ro/data 2>"$T/cat.err")"
expect_eq "... and its stderr stays writable" "stderr still writable" "$(cat "$T/cat.err")"
"$LIND_RUN" --deny write "$P" change /tmp/ro >"$T/change.out" 2>&1
expect_eq "--deny write: every change is EPERM, a read-only open is not" \
"mkdir EPERM
open-creat EPERM
openat-creat EPERM
open-wronly EPERM
open-rdwr EPERM
open-append EPERM
open-trunc EPERM
creat EPERM
unlink EPERM
rmdir EPERM
rename EPERM
open-rdonly ok" "$(cat "$T/change.out")"
expect_eq "the store on the host did not change" "$before" "$(store_state)"
expect_eq "a cage without --deny still sees the file" "the data" "$("$LIND_RUN" "$P" cat /tmp/ro/data 2>/dev/null)"
expect_eq "... and nothing new" "" "$(for f in newdir newfile newfile2 newfile3 moved; do
	cage probe /tmp/ro/$f 2>/dev/null | grep opened; done)"
# repeatable, and the same list in one
"$LIND_RUN" --deny net --deny write "$P" change /tmp/ro >"$T/change2.out" 2>&1
check "--deny repeated adds up" grep -qx "mkdir EPERM" "$T/change2.out"

# --deny net: served (under --net none the server answers EACCES, and
# fd 3 is not open), refused with EPERM at the relay
expect_eq "without --deny, net calls are served" \
	"socket EACCES
connect EBADF
raw-socket EACCES" "$("$LIND_RUN" --net none "$P" net 2>&1)"
expect_eq "--deny net: EPERM wins at the relay" \
	"socket EPERM
connect EPERM
raw-socket EPERM" "$("$LIND_RUN" --deny net "$P" net 2>&1)"
expect_eq "--deny net leaves files alone" "the data" \
	"$("$LIND_RUN" --deny net "$P" cat /tmp/ro/data 2>/dev/null)"

# an unserved call and a refusal by the client's own handler
expect_eq "an unserved call answers ENOSYS" "ioprio_get ENOSYS" "$("$LIND_RUN" "$P" unserved)"
expect_eq "a refusal report is answered by the relay" "reported" "$("$LIND_RUN" "$P" refusal)"

# a forged policy bit: Attach{version 4, deny 1<<20} is refused at attach
attach_raw() {
	python3 - "$LIND_RUNTIME_DIR/relay.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(bytes.fromhex(sys.argv[2]))
print(s.recv(4096).decode("latin-1"))
PY
}
check "an unknown policy bit is refused at attach" \
	grep -q "policy names unknown classes" <(attach_raw 080420808040)
expect_eq "a normal cage is served throughout" "looped 3" "$(cage loop 3 /)"

# lind-trace saw every one of these: wait for the last, then stop it
check "the trace got the last call" wait_for 10 grep -q 'kill(' "$T/trace.out"
kill -INT $tracer
wait $tracer
check "trace: a policy refusal names its class" \
	grep -Eq 'mkdir\("/tmp/ro/newdir", 0755\) = -1 EPERM \(policy: write\)' "$T/trace.out"
check "trace: an open refused on its flags" \
	grep -Eq 'open(at)?\(.*"/tmp/ro/newfile", O_WRONLY\|O_CREAT, 0644\) = -1 EPERM \(policy: write\)' "$T/trace.out"
check "trace: a net call refused by policy, by name" \
	grep -Eq 'socket\(2, 1, 0\) = -1 EPERM \(policy: net\)' "$T/trace.out"
check "trace: an unserved call by its name, arguments in hex" \
	grep -Eq 'ioprio_get\(0x1, 0x0\) = -1 ENOSYS \(Function not implemented\)$' "$T/trace.out"
check "trace: a refusal by the client's handler" \
	grep -Eq 'kill\(0x1, 0x9\) = -1 ESRCH \(filter\)' "$T/trace.out"
check "trace: no call is a bare number" bash -c "! grep -Eq 'syscall_[0-9]+\(' '$T/trace.out'"
check "trace: the relay never forwards lind_refused" bash -c "! grep -q lind_refused '$T/trace.out'"
