#!/bin/bash
# A real shell in a cage: dash, from Debian's source, built natively and
# with lind-cc, runs the scripts in tests/integration/shell/ (pipelines,
# redirections, here-documents, subshells, $(...), background jobs and
# wait, trap, kill, exec, ulimit, times, set -e).  The programs they run
# (cat, sort, seq, sleep, /bin/sh...) are the host's, exec'd in the cage
# through the server's --host-root binds.  Each script's output and status
# must be what native dash gives.
. "$(dirname "$0")/lib.sh"
. "$LIND_SRC/tests/integration/cross-lib.sh"

if ! src=$(fetch_src dash); then
	ok "dash # SKIP $(cat "$T/fetch.err")"
	exit 0
fi
# build_dash DIR CONFIGURE-ARGS...: dash built out of tree in DIR
build_dash() {
	local dir=$1
	shift
	mkdir -p "$dir" && (cd "$dir" && "$src/configure" -q "$@" &&
		make -j2) >"$dir.log" 2>&1
}
if build_dash "$T/dash.native" && build_dash "$T/dash.lind" $CROSS_ARGS; then
	ok "dash builds natively and with lind-cc"
else
	not_ok "dash builds natively and with lind-cc"
	tail -20 "$T"/dash.*.log | diag
	exit 1
fi
start_daemons || exit 1

# run_dash DASH WORK SCRIPT: the script on dash's stdin, in a clean env
run_dash() {
	env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ WORK="$2" \
		LIND_RUNTIME_DIR="$LIND_RUNTIME_DIR" $1 <"$3" 2>&1
	echo "status $?"
}
for script in "$LIND_SRC"/tests/integration/shell/*.sh; do
	name=$(basename "$script" .sh)
	want=$(run_dash "$T/dash.native/src/dash" "$T/work.native/$name" "$script")
	got=$(run_dash "$LIND_RUN $T/dash.lind/src/dash" "/shtest/$name" "$script")
	expect_eq "dash runs $name.sh in a cage as natively" "$want" "$got"
done
