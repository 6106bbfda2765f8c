#!/bin/bash
# make installcheck (and so distcheck): the installed daemons run, and the
# installed lind-cc builds a cage program that runs against them.
set -eu
bin=${LIND_BIN:?}
T=$(mktemp -d /tmp/lind-installed.XXXXXX)
export LIND_RUNTIME_DIR="$T/run" LIND_STORE="$T/store"
cleanup() {
	kill "${relay:-}" "${server:-}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
"$bin/posix-server" --host-root 2>"$T/server.log" & server=$!
"$bin/nacl-relay" 2>"$T/relay.log" & relay=$!
for _ in $(seq 200); do [ -S "$LIND_RUNTIME_DIR/relay.sock" ] && break; sleep 0.05; done
"$bin/lind-cc" -o "$T/hello" "${LIND_SRC:?}/scripts/hello.c"
out=$("$bin/lind-run" "$T/hello")
case $out in
*"read back: written in cage"*) echo "installcheck: installed lind-cc and daemons work" ;;
*) echo "installcheck: unexpected output: $out"; cat "$T"/*.log; exit 1 ;;
esac
