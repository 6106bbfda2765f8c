#!/bin/bash
# lind-run --publish [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp] (issue 9 item 2),
# from the host side: a cage's listener on CAGEPORT is bound to
# ADDR:HOSTPORT on the host, host clients reach it there, and the cage
# sees CAGEPORT (getsockname on the listener and on what it accepts).
# Without --publish the host port stays closed; UDP is published too; a
# forked child keeps the table, and so does execve; two cages cannot take one host port; bad
# specs and --net none are refused.  Every host program has a timeout, so
# a daemon that dies cannot hang the suite.
. "$(dirname "$0")/lib.sh"
build inet_cage "$LIND_SRC/tests/integration/progs/inet_cage.c" || {
	echo "Bail out! inet_cage does not build"
	cat "$T"/bin/inet_cage.*.err >&2
	exit 1
}
# the program at its host path in the store too, for its own execve
start_server --bind "$T/bin:$T/bin:ro" && start_relay || exit 1
PROG="$T/bin/inet_cage.lind"
HOSTPROG="$T/bin/inet_cage.native"
host() { timeout 20 "$HOSTPROG" "$@"; }

# listening PROTO PORT: the local addresses (hex, as /proc/net shows them)
# of host sockets on PORT: TCP listeners, or any UDP socket
listening() {
	local hex f state=0A
	hex=$(printf '%04X' "$2")
	[ "$1" = udp ] && state=07
	for f in /proc/net/$1 /proc/net/${1}6; do
		[ -r "$f" ] && awk -v p=":$hex" -v s="$state" \
			'$4 == s && $2 ~ p"$" {print $2}' "$f"
	done
}

# free_port: a port nothing on the host uses, TCP or UDP
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		[ -z "$(listening tcp "$p")$(listening udp "$p")" ] &&
			! grep -qi ":$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 &&
			break
	done
	echo "$p"
}

wait_port() { wait_for 10 test -s "$1" && head -1 "$1"; }

# serve_cage OUT ARGS...: a cage server in the background (pid in $cage);
# what it printed first (the port it sees) in $seen
serve_cage() {
	local out=$1
	shift
	timeout 60 "$LIND_RUN" "$@" >"$out" 2>&1 &
	cage=$!
	seen=$(wait_port "$out")
}

# each part takes fresh ports: a closed connection's TIME_WAIT holds a
# host port against a new listener (without SO_REUSEADDR)
ports() { hp=$(free_port) cp=$(free_port); }
ports

# -- without --publish: nothing on the host port ---------------------------
serve_cage "$T/plain.out" "$PROG" serve 0.0.0.0 1 "$cp"
expect_eq "no --publish: the cage listens on its port" "$cp" "$seen"
expect_eq "... the host port is not listening" "" "$(listening tcp "$hp")"
expect_eq "... a host client there is refused" "connect ECONNREFUSED" \
	"$(host probe 127.0.0.1 "$hp")"
expect_eq "... the cage's port on loopback is" "connect OK
echo fetch" "$(host fetch 127.0.0.1 "$cp")"
wait $cage

# -- TCP published on every address (ADDR 0.0.0.0) -------------------------
serve_cage "$T/tcp.out" --publish "$hp:$cp" "$PROG" serve 0.0.0.0 2 "$cp"
expect_eq "--publish $hp:$cp: getsockname in the cage shows $cp" "$cp" "$seen"
expect_eq "... the host listens on 0.0.0.0:$hp" \
	"00000000:$(printf '%04X' "$hp")" "$(listening tcp "$hp")"
expect_eq "... and not on the cage's port" "" "$(listening tcp "$cp")"
expect_eq "... a host client on 127.0.0.1:$hp talks to the cage" \
	"connect OK
echo fetch" "$(host fetch 127.0.0.1 "$hp")"
reply=$(exec 3<>"/dev/tcp/127.0.0.1/$hp" && echo "from bash" >&3 &&
	timeout 10 head -1 <&3)
expect_eq "... and bash's /dev/tcp" "echo from bash" "$reply"
wait $cage
expect_eq "... the cage served both and exited 0" 0 $?
expect_eq "... accepted sockets show the cage's port" \
	"accepted on $cp
accepted on $cp" "$(tail -n +2 "$T/tcp.out")"
expect_eq "... the host port is closed with the cage" "" \
	"$(listening tcp "$hp")"

# -- ADDR given; a cage listener on loopback; a forked child -------------
ports
serve_cage "$T/lo.out" --publish "127.0.0.1:$hp:$cp" "$PROG" \
	fork serve 127.0.0.1 1 "$cp"
expect_eq "--publish 127.0.0.1:$hp:$cp: a forked child's listener" \
	"0100007F:$(printf '%04X' "$hp")" "$(listening tcp "$hp")"
expect_eq "... reached from the host" "connect OK
echo fetch" "$(host fetch 127.0.0.1 "$hp")"
wait $cage
expect_eq "... it saw its own port" "$cp accepted on $cp" \
	"$(tr '\n' ' ' <"$T/lo.out" | sed 's/ $//')"

# -- execve keeps the table -------------------------------------------------
ports
serve_cage "$T/exec.out" --publish "$hp:$cp" "$PROG" exec serve 0.0.0.0 1 "$cp"
expect_eq "after execve, the new image's listener is published" \
	"00000000:$(printf '%04X' "$hp")" "$(listening tcp "$hp")"
expect_eq "... reached from the host" "connect OK
echo fetch" "$(host fetch 127.0.0.1 "$hp")"
wait $cage

# -- IPv6: a cage's :: listener, published as :: -----------------------------
if [ -r /proc/net/tcp6 ] && host bind ::1 | grep -q OK; then
	ports
	serve_cage "$T/v6.out" --publish "$hp:$cp" "$PROG" serve :: 1 "$cp"
	expect_eq "IPv6: the cage sees $cp" "$cp" "$seen"
	expect_eq "... the host listens on [::]:$hp" \
		"00000000000000000000000000000000:$(printf '%04X' "$hp")" \
		"$(listening tcp "$hp")"
	expect_eq "... reached over ::1" "connect OK
echo fetch" "$(host fetch ::1 "$hp")"
	wait $cage
else
	echo "# skipped IPv6: no ::1 on this host"
fi

# -- UDP -----------------------------------------------------------------
ports
serve_cage "$T/udp.out" --publish "$hp:$cp/udp" "$PROG" userve 0.0.0.0 1 "$cp"
expect_eq "--publish $hp:$cp/udp: the cage sees $cp" "$cp" "$seen"
expect_eq "... a host datagram to $hp is answered" "sendto OK
echo fetch" "$(host ufetch 127.0.0.1 "$hp")"
wait $cage
expect_eq "... received on the cage's port" "received on $cp" \
	"$(tail -n +2 "$T/udp.out")"
serve_cage "$T/udp2.out" --publish "$hp:$cp" "$PROG" userve 0.0.0.0 1 "$cp"
expect_eq "a TCP publish leaves UDP alone: on 127.0.0.1:$cp" \
	"0100007F:$(printf '%04X' "$cp")" "$(listening udp "$cp")"
host ufetch 127.0.0.1 "$cp" >/dev/null
wait $cage

# -- two cages, one host port --------------------------------------------
ports
cp2=$(free_port)
serve_cage "$T/first.out" --publish "$hp:$cp" "$PROG" serve 0.0.0.0 1 "$cp"
expect_eq "a second cage publishing $hp: EADDRINUSE (the host's)" \
	"bind EADDRINUSE" \
	"$(timeout 20 "$LIND_RUN" --publish "$hp:$cp2" "$PROG" bind 0.0.0.0 "$cp2")"
host fetch 127.0.0.1 "$hp" >/dev/null
wait $cage
# CAGEPORT below 1024 needs euid 0 in the cage, as without --publish
if [ "$(id -u)" = 0 ]; then
	expect_eq "a cage of uid 1000 cannot take CAGEPORT 80" "bind EACCES" \
		"$(timeout 20 "$LIND_RUN" --uid 1000 --publish "$hp:80" "$PROG" \
			bind 0.0.0.0 80)"
	ports
	expect_eq "... root's can" "bind OK" \
		"$(timeout 20 "$LIND_RUN" --publish "$hp:80" "$PROG" bind 0.0.0.0 80)"
fi

# -- what lind-run refuses: one line, exit 2 ------------------------------
refused() { # DESCRIPTION ARGS...: lind-run ARGS fails with one line, 2
	local what=$1 st lines
	shift
	timeout 20 "$LIND_RUN" "$@" "$PROG" bind 0.0.0.0 >"$T/refused.out" 2>&1
	st=$?
	lines=$(wc -l <"$T/refused.out")
	expect_eq "$what: exit 2, one line" "2 1" "$st $lines"
}
refused "--publish 0:80" --publish 0:80
refused "--publish 70000:80" --publish 70000:80
refused "--publish 8080:0" --publish 8080:0
refused "--publish garbage" --publish garbage
refused "--publish=8080:80/sctp" --publish=8080:80/sctp
refused "--publish 1.2.3:8080:80" --publish 1.2.3:8080:80
refused "--publish with no value" --publish
refused "CAGEPORT twice" --publish 8080:80 --publish 8081:80
refused "ADDR:HOSTPORT twice" --publish 8080:80 --publish=8080:81
refused "--net none --publish" --net none --publish 8080:80
refused "--publish then --net none" --publish 8080:80 --net=none
expect_eq "... naming the option" "1" \
	"$(grep -c -- '--publish' "$T/refused.out")"

# -- what the relay refuses from anyone (a hand-made Attach) -------------
hostile() { timeout 20 python3 \
	"$LIND_SRC/tests/integration/progs/hostile_attach.py" \
	"$LIND_RUNTIME_DIR" publish "$@"; }
expect_eq "a hand-made Attach with 64 published ports is taken" attached \
	"$(hostile 0 $(seq 1000 1063 | awk '{print $1":"$1+1000}'))"
expect_eq "... 65: refused" "refused: too many published ports (at most 64)" \
	"$(hostile 0 $(seq 1000 1064 | awk '{print $1":"$1+1000}'))"
expect_eq "... one entry 65: refused" \
	"refused: too many published ports (at most 64)" "$(hostile 2 8080:80x65)"
expect_eq "... HOSTPORT 65536+80 (which would wrap to 80): refused" \
	"refused: a published port is over 65535" "$(hostile 0 65616:8080)"
expect_eq "... CAGEPORT 0: refused" "refused: a published port is 0" \
	"$(hostile 0 8080:0)"
expect_eq "... CAGEPORT twice: refused" \
	"refused: a cage port is published twice" "$(hostile 2 8080:80 8081:80)"
expect_eq "... ADDR:HOSTPORT twice: refused" \
	"refused: a host port is published twice" \
	"$(hostile 0 8080:80:1:2130706433 8080:81:1:2130706433)"
expect_eq "... under --net none: refused" \
	"refused: ports published under --net none" "$(hostile 1 8080:80)"
check "the relay and the server still serve" quiet "$LIND_RUN" "$PROG" bind 127.0.0.1
