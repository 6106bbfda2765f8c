#!/bin/bash
# The deployment's identity: posix-server --hostname names it for every
# cage (uname, /proc/sys/kernel/hostname, hostname(1)); a root cage may
# rename it, as root renames its UTS namespace; another user may not.
. "$(dirname "$0")/lib.sh"

"$SERVER" --hostname "" >/dev/null 2>"$T/empty.err"
expect_eq "--hostname '': exit 2" 2 $?
expect_eq "... with one line" 1 "$(wc -l <"$T/empty.err")"
"$SERVER" --hostname "$(printf 'x%.0s' $(seq 65))" 2>"$T/long.err"
expect_eq "--hostname of 65 bytes: exit 2" 2 $?

start_server --hostname box.example || exit 1
# uid 1001 reaches relay.sock through its group (docs/deployment.md)
GRP=4242
chmod 711 "$T"
"$RELAY" --socket-group "$GRP" >>"$T/relay.log" 2>&1 &
relay_pid=$!
wait_for 5 test -S "$LIND_RUNTIME_DIR/relay.sock" || exit 1
expect_eq "uname -n in a cage names the deployment" box.example \
	"$("$LIND_RUN" /bin/uname -n)"
expect_eq "... and so does /proc/sys/kernel/hostname" box.example \
	"$("$LIND_RUN" /bin/cat /proc/sys/kernel/hostname)"
expect_eq "a root cage renames it" 0 \
	"$("$LIND_RUN" /bin/hostname renamed; echo $?)"
expect_eq "... for every cage" renamed "$("$LIND_RUN" /bin/hostname)"
expect_eq "... and the domain name too" "0 lab" \
	"$("$LIND_RUN" /bin/domainname lab; echo $? "$("$LIND_RUN" /bin/domainname)")"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid 1001 --regid 1001 --groups "$GRP" \
		"$LIND_RUN" /bin/hostname other 2>&1)
	expect_eq "uid 1001 may not rename it (EPERM)" \
		"hostname: you must be root to change the host name" "$out"
	expect_eq "... and the name stays" renamed "$("$LIND_RUN" /bin/hostname)"
else
	ok "uid 1001 may not rename it # SKIP needs root and setpriv(1)"
fi
