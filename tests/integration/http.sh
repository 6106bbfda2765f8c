#!/bin/bash
# Real programs on the network (issue 9 item 7): an HTTP server built on
# libev (progs/http_ev.c, the library posix-server itself uses) runs in a
# cage, serves files from the virtual filesystem to 20 concurrent host
# clients, answers 404 for a missing one; a cage client (progs/http_get.c)
# fetches a file from a server on the host over loopback; under --net
# none the same fetch fails and the host server saw nothing.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
LIND_FS="$LIND_BUILD/lind-fs"
for p in http_ev http_get; do
	${CC:-cc} -std=gnu11 -O1 -o "$T/$p.native" \
		"$LIND_SRC/tests/integration/progs/$p.c" -lev 2>"$T/$p.err" &&
		"$LIND_CC" -std=gnu11 -O1 -o "$T/$p.lind" \
			"$LIND_SRC/tests/integration/progs/$p.c" -lev \
			2>>"$T/$p.err" || {
		echo "Bail out! $p does not build"
		cat "$T/$p.err" >&2
		exit 1
	}
done

# GET PORT PATH: the body a host client gets, by bash's /dev/tcp
get() {
	exec 7<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&7
	tr -d '\r' <&7 | sed '1,/^$/d'
	exec 7>&-
}

# ---- a server in a cage, host clients
mkdir -p "$T/www"
for i in $(seq 20); do
	head -c $((i * 997)) /dev/urandom | base64 >"$T/www/f$i.txt"
done
"$LIND_FS" mkdir -p /srv/www && "$LIND_FS" cp "$T"/www/*.txt :/srv/www/ ||
	{ echo "Bail out! lind-fs cp"; exit 1; }
"$LIND_RUN" "$T/http_ev.lind" /srv/www /tmp/http.port 21 \
	>"$T/cage_server.out" 2>&1 &
server=$!
port=
for _ in $(seq 200); do
	port=$("$LIND_FS" cat /tmp/http.port 2>/dev/null) && [ -n "$port" ] && break
	sleep 0.05
done
check "the cage's server listens (port $port)" test -n "$port"
clients=
for i in $(seq 20); do
	get "$port" "/f$i.txt" >"$T/got$i" &
	clients="$clients $!"
done
wait $clients
same=0
for i in $(seq 20); do
	cmp -s "$T/www/f$i.txt" "$T/got$i" && same=$((same + 1))
done
expect_eq "20 concurrent host clients get their files whole" 20 "$same"
expect_eq "a missing file: an empty body (404)" "" "$(get "$port" /none)"
wait "$server"
expect_eq "the cage's server served 21 requests and exited 0 (libev on epoll)" \
	"0 http_ev: served, backend epoll" "$? $(cat "$T/cage_server.out")"

# ---- a server on the host, a client in a cage
echo "from the host" >"$T/www/host.txt"
timeout 60 "$T/http_ev.native" "$T/www" "$T/host.port" 1 >"$T/host_server.out" 2>&1 &
hs=$!
for _ in $(seq 100); do [ -s "$T/host.port" ] && break; sleep 0.05; done
hport=$(cat "$T/host.port")
expect_eq "a cage fetches from a host server on loopback" \
	"HTTP/1.0 200 OK
from the host" "$("$LIND_RUN" "$T/http_get.lind" localhost "$hport" /host.txt 2>&1)"
wait "$hs"
expect_eq "... which served that one request" \
	"http_ev: served, backend epoll" "$(cat "$T/host_server.out")"

# ---- --net none: nothing leaves
: >"$T/host.port"
timeout 60 "$T/http_ev.native" "$T/www" "$T/host.port" 1 >"$T/host_server.out" 2>&1 &
hs=$!
for _ in $(seq 100); do [ -s "$T/host.port" ] && break; sleep 0.05; done
hport=$(cat "$T/host.port")
got=$("$LIND_RUN" --net none "$T/http_get.lind" 127.0.0.1 "$hport" /host.txt 2>&1)
expect_eq "--net none: the cage's connect fails" \
	"http_get: connect: Permission denied" "$got"
sleep 0.2
check "... and the host server saw no connection (it still waits for one)" \
	kill -0 "$hs"
get "$hport" /host.txt >/dev/null
wait "$hs"

# ---- Python's http.server (a host program, unmodified) in a cage
if [ -x /usr/bin/python3 ]; then
	echo "hello from the store" >"$T/py.txt"
	"$LIND_FS" cp "$T/py.txt" :/srv/www/py.txt
	pyport=$((20000 + $$ % 20000))
	"$LIND_RUN" /usr/bin/python3 -m http.server "$pyport" --bind 127.0.0.1 \
		--directory /srv/www >"$T/py.out" 2>&1 &
	py=$!
	got=
	for _ in $(seq 300); do # its start-up reads the standard library
		got=$(get "$pyport" /py.txt 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	expect_eq "python3 -m http.server in a cage serves a file of the store" \
		"hello from the store" "$got"
	kill "$py" 2>/dev/null
	wait "$py" 2>/dev/null || true
else
	ok "python3 -m http.server # SKIP no /usr/bin/python3 on this host"
fi
