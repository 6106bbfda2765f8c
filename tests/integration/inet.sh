#!/bin/bash
# AF_INET sockets owned by the server, seen from the host (issue 9): a
# server in a cage serves host clients (bash's /dev/tcp and a host
# program), a cage fetches from a host server, and lind-run --net is
# proved from the host side: under none and loopback, a host listener
# that the cage aims at hears nothing, and a cage's wildcard listener is
# bound to loopback on the host.  A cage killed while parked in accept
# leaves no host socket in the server.  Traffic stays on this host: the
# only other address used is one of its own (skipped without one).
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build inet_cage "$LIND_SRC/tests/integration/progs/inet_cage.c" || {
	echo "Bail out! inet_cage does not build"
	cat "$T"/bin/inet_cage.*.err >&2
	exit 1
}
PROG="$T/bin/inet_cage.lind"
HOSTPROG="$T/bin/inet_cage.native"
# host programs end by themselves: a daemon that dies cannot hang the suite
host() { timeout 60 "$HOSTPROG" "$@"; }

# wait_port FILE: the port a program printed first into FILE
wait_port() {
	wait_for 10 test -s "$1" && head -1 "$1"
}

# -- a server in a cage, host clients --------------------------------------
timeout 60 "$LIND_RUN" "$PROG" serve 0.0.0.0 2 >"$T/serve.out" 2>&1 &
cage=$!
port=$(wait_port "$T/serve.out")
if [ -n "$port" ]; then
	# /proc/net/tcp: local address in hex; 0100007F is 127.0.0.1
	hexport=$(printf '%04X' "$port")
	expect_eq "the cage's wildcard listener is bound to 127.0.0.1 on the host" \
		"0100007F:$hexport" \
		"$(awk -v p=":$hexport" '$4 == "0A" && $2 ~ p"$" {print $2}' /proc/net/tcp)"
	reply=$(exec 3<>"/dev/tcp/127.0.0.1/$port" && echo "from bash" >&3 &&
		head -1 <&3)
	expect_eq "bash's /dev/tcp reaches the cage's server" "echo from bash" "$reply"
	expect_eq "a host program reaches it" "connect OK
echo fetch" "$(host fetch 127.0.0.1 "$port")"
else
	not_ok "the cage's server printed its port"; diag "$T/serve.out"
fi
wait $cage
expect_eq "the cage's server answered both and exited 0" 0 $?

# -- a cage client, a host server ------------------------------------------
host serve 127.0.0.1 1 >"$T/host.out" 2>&1 &
host=$!
port=$(wait_port "$T/host.out")
expect_eq "a cage fetches from a host server on loopback" "connect OK
echo fetch" "$("$LIND_RUN" "$PROG" fetch 127.0.0.1 "$port")"
wait $host
expect_eq "... which served it" 0 $?
host serve ::1 1 >"$T/host6.out" 2>&1 &
host=$!
port=$(wait_port "$T/host6.out")
if [ -n "$port" ]; then
	expect_eq "... and over IPv6 (::1)" "connect OK
echo fetch" "$("$LIND_RUN" "$PROG" fetch ::1 "$port")"
fi
wait $host

# -- policy, from the host side --------------------------------------------
# policy_probe NAME WANT IP NET [fork]: a host listener on 0.0.0.0 counts
# what reaches it while a cage under --net NET (default: none given)
# connects to IP
policy_probe() {
	local name=$1 want=$2 ip=$3 net=$4 fork=${5:-}
	local out="$T/count.$((++probes))"
	host count 0.0.0.0 2 >"$out" 2>&1 &
	local h=$! p
	p=$(wait_port "$out")
	local got opt=(--net "$net")
	[ "$net" = default ] && opt=()
	got=$("$LIND_RUN" ${opt[@]+"${opt[@]}"} "$PROG" $fork probe "$ip" "$p")
	wait $h
	expect_eq "$name: the cage sees" "$want" "$got"
	local heard=1
	[ "$want" = "connect OK" ] || heard=0
	expect_eq "$name: the host listener heard $heard" "connections $heard" \
		"$(tail -1 "$out")"
}
probes=0
policy_probe "--net none, 127.0.0.1" "socket EACCES" 127.0.0.1 none
policy_probe "--net none, in a forked child" "socket EACCES" 127.0.0.1 none fork
policy_probe "--net loopback, 127.0.0.1" "connect OK" 127.0.0.1 loopback
policy_probe "--net host, 127.0.0.1" "connect OK" 127.0.0.1 host
own=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' |
	grep -v '^127\.' | head -1)
if [ -n "$own" ]; then
	policy_probe "--net loopback, this host's $own" "connect ENETUNREACH" \
		"$own" loopback
	policy_probe "no --net (loopback), $own" "connect ENETUNREACH" \
		"$own" default
	policy_probe "--net loopback, $own from a forked child" \
		"connect ENETUNREACH" "$own" loopback fork
	policy_probe "--net host, $own" "connect OK" "$own" host
	expect_eq "--net loopback: no bind to $own" "bind EADDRNOTAVAIL" \
		"$("$LIND_RUN" "$PROG" bind "$own")"
	expect_eq "--net host: a bind to $own" "bind OK" \
		"$("$LIND_RUN" --net host "$PROG" bind "$own")"
	expect_eq "--net loopback: no datagram to $own" "sendto ENETUNREACH" \
		"$("$LIND_RUN" "$PROG" udp "$own" 9)"
	# IP_PKTINFO names a source address and an interface: the policy's
	expect_eq "--net loopback: no datagram from $own (IP_PKTINFO)" \
		"pktinfo ENETUNREACH" "$("$LIND_RUN" "$PROG" pktinfo "$own" 0)"
	expect_eq "--net host: a datagram from $own (IP_PKTINFO)" \
		"pktinfo OK" "$("$LIND_RUN" --net host "$PROG" pktinfo "$own" 0)"
	expect_eq "... as natively" "pktinfo OK" "$("$HOSTPROG" pktinfo "$own" 0)"
	ifx=$(for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] || cat "$d/ifindex"; done 2>/dev/null | head -1)
	[ -n "$ifx" ] && expect_eq "--net loopback: not through interface $ifx" \
		"pktinfo ENODEV" "$("$LIND_RUN" "$PROG" pktinfo 0.0.0.0 "$ifx")"
	expect_eq "--net loopback: from 127.0.0.1 through lo" "pktinfo OK" \
		"$("$LIND_RUN" "$PROG" pktinfo 127.0.0.1 "$(cat /sys/class/net/lo/ifindex)")"
else
	echo "# skipped the non-loopback probes: this host has no other address"
fi
expect_eq "--net takes only none, loopback, host" 2 \
	"$("$LIND_RUN" --net lan "$PROG" probe 127.0.0.1 9 >/dev/null 2>&1; echo $?)"

# -- a cage killed while parked in accept leaves no host socket ------------
server_sockets() {
	local n=0 f
	for f in /proc/$server_pid/fd/*; do
		case $(readlink "$f") in socket:*) n=$((n + 1)) ;; esac
	done
	echo $n
}
before=$(server_sockets)
for i in 1 2 3; do
	"$PROG" park 127.0.0.1 >"$T/park.out" 2>&1 &
	victim=$!
	wait_for 10 test -s "$T/park.out"
	kill -KILL $victim
	wait $victim 2>/dev/null
done
check "cages killed in accept: the server holds the sockets it held ($before)" \
	wait_for 10 eval '[ "$(server_sockets)" = "$before" ]'
