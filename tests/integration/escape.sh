#!/bin/bash
# Escapes, tried from every place code can run (issue 6): progs/escape.c
# makes each attack with raw syscall instructions and with libc, from a
# lind-cc program's main, a constructor(101), a .preinit_array entry, a
# -nostartfiles _start, and a static program built without client-libc
# (cc -static); dynamic lind-cc programs too once posix-server has
# --host-root (LIND_ESCAPE_DYNAMIC=1 runs them anyway).  Each attack must be
# served in the sandbox, refused, or kill only the cage, and the test checks
# from the host side: the canary files unchanged (nothing created, renamed,
# removed, mounted), the listener on 127.0.0.1 accepted nothing (the
# attacks run under lind-run --net none: the server makes no inet socket
# for them, so any connection is an escape), the
# daemons and a host `sleep` alive (not stopped, not traced), nothing the
# attacker reported as done by the host kernel ("ok"), and a normal cage
# served afterwards.  Each attack's results are printed as a TAP comment.
# Besides the program's own attacks: a read-only tree bound at /bound whose
# symlinks point at the canary, the relay's channel (scribbled over, forged
# cage ids, its futex waiter requeued), a crafted ELF aimed at lind-run's
# loader, and a #! script carrying client-libc's old marker text.
# LIND_ESCAPE_ATTACKS and LIND_ESCAPE_VARIANTS narrow a run to some.
. "$(dirname "$0")/lib.sh"
# a read-only tree whose symlinks point out of it, at the host canary
B="$T/bound"
mkdir -p "$B/sub"
echo inside >"$B/inside"
ln -s "$T/host/canary" "$B/abs"
ln -s ../host/canary "$B/rel"
ln -s "$T/host" "$B/dirlink"
SERVER_ARGS+=(--bind "$B:/bound")
start_daemons || exit 1

SRC="$LIND_SRC/tests/integration/progs/escape.c"
FLAGS=(-std=gnu11 -O1 -I"$LIND_SRC/proto" -fno-stack-protector -fno-builtin
	-fno-tree-loop-distribute-patterns)
NOSTART=(-nostartfiles -DESC_NOSTART)

dynamic=
if "$SERVER" --help 2>&1 | grep -q -- --host-root; then
	dynamic=yes
elif [ "${LIND_ESCAPE_DYNAMIC:-}" = 1 ]; then
	dynamic=forced
else
	echo "# dynamic variants skipped: posix-server has no --host-root"
fi

# variant NAME COMPILER ARGS...: $T/bin/esc.NAME, listed in $variants
variants=
variant() {
	local name=$1 cc=$2
	shift 2
	if "$cc" "${FLAGS[@]}" -o "$T/bin/esc.$name" "$SRC" "$@" \
		2>"$T/bin/esc.$name.err"; then
		variants="$variants $name"
	else
		echo "Bail out! escape.c does not build as $name"
		cat "$T/bin/esc.$name.err" >&2
		exit 1
	fi
}
variant main "$LIND_CC" -static
variant ctor "$LIND_CC" -static -DESC_CTOR
variant preinit "$LIND_CC" -static -DESC_PREINIT
# a static -nostartfiles program has no usable libc (no TLS, no ifuncs)
variant nostart "$LIND_CC" -static "${NOSTART[@]}" -DESC_NOLIBC \
	-Wl,--defsym=_DYNAMIC=0
variant static "${CC:-cc}" -static -DESC_NATIVE
if [ -n "$dynamic" ]; then
	variant dmain "$LIND_CC"
	variant dctor "$LIND_CC" -DESC_CTOR
	variant dpreinit "$LIND_CC" -DESC_PREINIT
	variant dnostart "$LIND_CC" "${NOSTART[@]}"
fi
"$LIND_CC" -std=gnu11 -O1 -static -o "$T/bin/normal" \
	"$LIND_SRC/tests/integration/progs/cagetool.c" -lpthread ||
	{ echo "Bail out! cagetool does not build"; exit 1; }
# (a frozen relay must fail the check, not hang the test)
normal() { timeout -k 5 30 "$LIND_RUN" "$T/bin/normal" "$@"; }

attacks="read write stat list rename unlink connect kill probe ptrace
	exec-raw execveat-raw exec-libc exec-spawn mount ns kernel vm seccomp
	seccomp-fake fork clone-ns sigsys-ign sigsys-handler sigsys-block magic
	sigreturn-mask sigreturn-rip sigreturn-rip-mask sigreturn-frame
	sigreturn-frame-mask tamper thread x32 int80 bind futex-requeue"
# Attacks on the relay through the channel: where they run makes no
# difference, and a relay they freeze costs a minute to find and restart.
relay_only="futex-requeue"

# ---- the host side: canary files, a listener, a sleep ----
H="$T/host"
secret="SECRET-$$-$RANDOM"
m2_mounted=
make_host() {
	mkdir -p "$H/sub" "$H/mnt" "$H/m2"
	echo "$secret" >"$H/canary"
	# as root, a tmpfs of the test's own for umount2 to try to remove
	if [ "$(id -u)" = 0 ] && mount -t tmpfs lind-escape "$H/m2" 2>/dev/null; then
		m2_mounted=yes
		echo inside >"$H/m2/file"
	fi
}
unmount_host() {
	local m
	for m in "$H/mnt" "$H/m2"; do
		while mountpoint -q "$m" 2>/dev/null; do umount -l "$m" || break; done
	done
}
# Every file's path, type, inode, size, mtime and ctime, the canary's hash
# and what is mounted under $H; each line starts with the path.
snapshot() {
	(cd "$H" && find . -printf '%p %y %i %s %T@ %C@\n' | sort &&
		echo "./canary sha256 $(sha256sum 2>/dev/null <canary)") 2>&1
	(cd "$B" && find . -printf 'bound/%p %y %i %s %T@ %C@ %l\n' | sort &&
		echo "bound/inside sha256 $(sha256sum 2>/dev/null <inside)") 2>&1
	awk -v h="$H" 'index($5, h) == 1 {print "." substr($5, length(h) + 1) " mounted"}' \
		/proc/self/mountinfo | sort
}

# The listener logs "tcp" per accepted connection, "tcp-data X" and
# "udp X" per message.  A sentinel connection and datagram from the test
# are logged after anything the attacker sent before them.
python3 -c '
import selectors, socket, sys
log = open(sys.argv[1], "a", buffering=1)
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(128)
port = t.getsockname()[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", port))
print(port, flush=True)
sel = selectors.DefaultSelector()
sel.register(t, selectors.EVENT_READ, "accept")
sel.register(u, selectors.EVENT_READ, "udp")
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "accept":
            c, _ = s.accept(); log.write("tcp\n"); sel.register(c, selectors.EVENT_READ, "conn")
        elif key.data == "udp":
            log.write("udp %s\n" % s.recv(512).decode(errors="replace").strip())
        else:
            d = s.recv(512)
            if d: log.write("tcp-data %s\n" % d.decode(errors="replace").strip())
            sel.unregister(s); s.close()
' "$T/listener.log" >"$T/port" 2>"$T/listener.err" &
listener_pid=$!
wait_for 10 test -s "$T/port" || { echo "Bail out! no listener"; exit 1; }
port=$(cat "$T/port")
sentinels=0
# listener_clean: only the sentinels reached the listener
listener_clean() {
	sentinels=$((sentinels + 1))
	exec 9<>/dev/tcp/127.0.0.1/"$port" && printf 'S%d\n' $sentinels >&9
	exec 9>&-
	printf 'S%d' $sentinels >/dev/udp/127.0.0.1/"$port"
	wait_for 20 grep -qx "tcp-data S$sentinels" "$T/listener.log" ||
		return 1
	wait_for 20 grep -qx "udp S$sentinels" "$T/listener.log" || return 1
	[ "$(grep -c '^tcp$' "$T/listener.log")" = $sentinels ] &&
		! grep -q '^udp [^S]' "$T/listener.log" &&
		! grep -q '^tcp-data [^S]' "$T/listener.log"
}

start_sleep() {
	setsid sleep 1000000 </dev/null >/dev/null 2>&1 &
	sleep_pid=$!
	disown $sleep_pid # its death is checked, not announced
	wait_for 10 grep -qx sleep "/proc/$sleep_pid/comm"
	vmaddr=0x$(awk '/\[stack\]/ {split($1, a, "-"); print a[1]; exit}' \
		"/proc/$sleep_pid/maps")
}
sleep_ok() {
	kill -0 "$sleep_pid" 2>/dev/null &&
		! grep -Eq '^State:.*(stopped|tracing stop)' "/proc/$sleep_pid/status" &&
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$sleep_pid/status"
}
daemon_pid() { cat "$LIND_RUNTIME_DIR/$1.pid" 2>/dev/null || echo 0; }
restart_daemons() {
	stop_daemons
	kill -KILL "$server_pid" "$relay_pid" 2>/dev/null
	rm -f "$LIND_RUNTIME_DIR"/*.sock
	start_daemons || echo "Bail out! the daemons do not restart"
}

cleanup() {
	[ -n "${sleep_pid:-}" ] && kill -KILL "$sleep_pid" 2>/dev/null
	[ -n "${listener_pid:-}" ] && kill "$listener_pid" 2>/dev/null
	unmount_host
	finish
}
trap cleanup EXIT
trap 'exit 143' TERM INT

make_host
start_sleep
snap0=$(snapshot)
listener_clean || echo "Bail out! the listener does not answer its sentinel"

# ---- one attack ----

# run_attack BIN ATTACK: in its own session, so that whatever it leaves
# behind can be found; lind-run's pid is the PARENT argument.  Sets $status.
run_attack() {
	local out=$T/out
	(exec setsid "$LIND_RUN" --net none "$1" "$2" "$H" "$port" "$sleep_pid" \
		"$(daemon_pid posix-server)" "$(daemon_pid nacl-relay)" \
		"$BASHPID" "$vmaddr") >"$out" 2>"$out.err" </dev/null &
	local pid=$!
	# a hang guard, not a timing check (one process, not a polling loop)
	(sleep 60 && kill -KILL -- -$pid 2>/dev/null &&
		echo "hung: killed after 60 s" >>"$out.err") >/dev/null 2>&1 &
	local guard=$!
	wait $pid
	status=$?
	kill $guard 2>/dev/null
	wait $guard 2>/dev/null
	wait_for 10 eval '! pgrep -g $pid >/dev/null' || {
		echo "left processes behind: $(pgrep -g $pid | tr '\n' ' ')" >>"$out.err"
		kill -KILL -- -$pid 2>/dev/null
	}
}

# What the attack got: its lines joined, and how it ended.
results() {
	local how="exit $status"
	[ "$status" -gt 128 ] && how="killed by SIG$(kill -l $((status - 128)))"
	echo "$(grep -v '^where:' "$T/out" | paste -sd ';' | sed 's/;/; /g') [$how]$(
		[ -s "$T/out.err" ] && echo " stderr: $(head -c 300 "$T/out.err" | paste -sd ' ')")"
}

# Host-side effects of the last attack, one phrase each, in $effects.
host_effects() {
	effects=()
	local now
	now=$(snapshot)
	if [ "$now" != "$snap0" ]; then
		effects+=("host files changed: $(diff <(echo "$snap0") <(echo "$now") |
			awk '/^[<>]/ {print $2}' | sort -u | paste -sd ' ')")
	fi
	grep -qF "$secret" "$T/out" && effects+=("read the canary's secret")
	listener_clean || effects+=("the listener was reached: $(grep -v 'S[0-9]*$' \
		"$T/listener.log" | sort | uniq -c | paste -sd ' ')")
	sleep_ok || effects+=("the host sleep is dead, stopped or traced")
	kill -0 "$server_pid" 2>/dev/null || effects+=("posix-server died")
	kill -0 "$relay_pid" 2>/dev/null || effects+=("nacl-relay died")
	local got
	got=$(grep -E ': ok( |$)' "$T/out" | cut -d: -f1 | paste -sd ' ')
	[ -n "$got" ] && effects+=("done by the host kernel: $got")
	# into a file: a frozen relay keeps the stdout it was handed
	normal loop 10 / >"$T/served.out" 2>&1
	served=yes
	[ "$(cat "$T/served.out")" = "looped 10" ] || {
		served=
		effects+=("a normal cage is not served afterwards")
	}
}

# Put the host back as it was after an attack got through.
restore() {
	if [ "$(snapshot)" != "$snap0" ]; then
		unmount_host
		rm -rf "$H"
		make_host
	fi
	if ! sleep_ok; then
		kill -KILL "$sleep_pid" 2>/dev/null
		start_sleep
	fi
	kill -0 "$server_pid" 2>/dev/null && kill -0 "$relay_pid" 2>/dev/null &&
		[ -n "$served" ] || restart_daemons
	snap0=$(snapshot)
	: >"$T/listener.log"
	sentinels=0
}

# The channel attack runs while one normal cage waits in a read of its
# stdin (its fd 0 is what the forged closes aim at) and another loops.
tamper_start() {
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	normal readstdin <"$T/fifo" >"$T/parked.out" 2>&1 &
	parked=$!
	exec 7>"$T/fifo"
	normal loop 3000 / >"$T/looping.out" 2>&1 &
	looping=$!
}
tamper_effects() {
	echo served >&7
	exec 7>&-
	wait $parked $looping
	[ "$(cat "$T/parked.out")" = "got: served" ] ||
		effects+=("the waiting cage got: $(head -c 200 "$T/parked.out")")
	[ "$(cat "$T/looping.out")" = "looped 3000" ] ||
		effects+=("the looping cage got: $(head -c 200 "$T/looping.out")")
}

attacks=${LIND_ESCAPE_ATTACKS:-$attacks}
variants=${LIND_ESCAPE_VARIANTS:-$variants}
for v in $variants; do
	for a in $attacks; do
		case " $relay_only " in
		*" $a "*) case $v in main | static) ;; *) continue ;; esac ;;
		esac
		[ "$a" = tamper ] && tamper_start
		run_attack "$T/bin/esc.$v" "$a"
		host_effects
		[ "$a" = tamper ] && tamper_effects
		echo "# $v $a: $(results)"
		if [ ${#effects[@]} -eq 0 ]; then
			ok "$v $a: nothing reached the host"
		else
			not_ok "$v $a: $(printf '%s; ' "${effects[@]}")"
			restore
		fi
	done
done

# lind-run's loader maps a program's segments before any filter exists.
# A PT_LOAD whose p_vaddr + p_memsz wraps past 2^64 stays out of the span
# the loader reserves, and its MAP_FIXED mapping may land anywhere, on
# lind-run itself too; ASLR does not hide where: a position-independent
# program's span is reserved right below lind-run, at a distance that is
# the same every run.  The crafted file's bytes (a NOP slide into
# progs/escape_payload.S) would then replace lind-run's code.
loader_wrap() {
	local ad=$T/loader fifo=$T/loader/fifo run cage span
	run=$(readlink -f "$LIND_RUN")
	mkdir -p "$ad"
	printf 'int main(void) { char c; return read(0, &c, 1) != 1; }\n' |
		${CC:-cc} -static-pie -O1 -include unistd.h -x c -o "$ad/blocker" - &&
		${CC:-cc} -c -o "$ad/payload.o" \
			"$LIND_SRC/tests/integration/progs/escape_payload.S" &&
		objcopy -O binary -j .text "$ad/payload.o" "$ad/payload.bin" ||
		return 1
	# where lind-run lies from the program's base, once the cage runs
	mkfifo "$fifo"
	"$LIND_RUN" "$ad/blocker" <"$fifo" >/dev/null 2>&1 &
	local pid=$!
	exec 8>"$fifo"
	wait_for 10 eval 'read -r cage <"/proc/$pid/task/$pid/children" &&
		grep -q "$ad/blocker" "/proc/$cage/maps"'
	span=$(awk -v f="$run" -v p="$ad/blocker" '
		$6 == p && !base {split($1, a, "-"); base = a[1]}
		$6 == f {split($1, a, "-"); if (!lo) lo = a[1]; hi = a[2]}
		END {print base, lo, hi}' "/proc/$cage/maps")
	echo x >&8
	exec 8>&-
	wait $pid
	python3 - "$ad/blocker" "$ad/payload.bin" "$H/canary" $span \
		"$ad/wrap.elf" <<'PY' || return 1
import struct, sys
prog, payload, target, base, lo, hi, out = sys.argv[1:]
base, lo, hi = int(base, 16), int(lo, 16), int(hi, 16)
b = bytearray(open(prog, "rb").read())
pay = open(payload, "rb").read() + target.encode() + b"\0"
size = hi - lo
slide = bytearray(b"\x90" * size)
slide[size - len(pay) - 16:size - 16] = pay
off = (len(b) + 0xfff) & ~0xfff
b += bytes(off - len(b)) + slide
vaddr = lo - base  # the program's own first vaddr is 0
phoff, = struct.unpack_from("<Q", b, 0x20)
phnum, = struct.unpack_from("<H", b, 0x38)
for i in range(phnum):  # a PT_NOTE becomes the wrapping PT_LOAD (RWX)
    o = phoff + 56 * i
    if struct.unpack_from("<I", b, o)[0] == 4:
        struct.pack_into("<IIQQQQQQ", b, o, 1, 7, off, vaddr, vaddr, size,
                         (1 << 64) - vaddr + 0x1000, 0x1000)
        break
else:
    sys.exit("no PT_NOTE to turn into a PT_LOAD")
open(out, "wb").write(b)
PY
	chmod +x "$ad/wrap.elf"
	(exec setsid timeout -k 5 60 "$LIND_RUN" "$ad/wrap.elf") \
		>"$T/out" 2>"$T/out.err" </dev/null
	status=$?
}
if ! command -v objcopy >/dev/null; then
	echo "# loader-wrap skipped: no objcopy here"
elif loader_wrap; then
	host_effects
	echo "# loader-wrap: $(results)"
	if [ ${#effects[@]} -eq 0 ]; then
		ok "a segment wrapping past 2^64 does not replace lind-run's code"
	else
		not_ok "a segment wrapping past 2^64 replaces lind-run's code: $(printf '%s; ' "${effects[@]}")"
		restore
	fi
else
	not_ok "the loader-wrap ELF could not be made"
fi

# A #! script holding the text lind-run once took for client-libc.
printf '#!/bin/sh\n# LIND-CLIENT-LIBC\necho PWNED >>%s\ntouch %s/script-touched\n' \
	"$H/canary" "$H" >"$T/bin/script"
chmod +x "$T/bin/script"
(exec setsid timeout -k 5 60 "$LIND_RUN" "$T/bin/script") >"$T/out" 2>"$T/out.err" </dev/null
status=$?
host_effects
echo "# script: $(results)"
expect_eq "a #! script with client-libc's marker changes no host file" \
	"" "$(printf '%s; ' "${effects[@]}" | sed 's/; $//')"
