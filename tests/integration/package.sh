#!/bin/bash
# The Debian package (debian/): built with dpkg-buildpackage from a copy
# of this checkout, installed with dpkg -i, its daemons started (by
# systemd where it runs, else by hand with the units' ExecStart lines),
# then a lind-cc-built hello run by a member of group lind with the
# installed lind-run while lind-trace shows its calls; purged at the end,
# leaving the machine as it was.  Runs in the plain build of a git
# checkout, as root (CI); skips with one line elsewhere.
. "$LIND_SRC/tests/integration/lib.sh"

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $*"
	exit
}
[ "$(id -u)" = 0 ] || skip "needs root to install packages"
[ "$(git -C "$LIND_SRC" rev-parse --show-toplevel 2>/dev/null)" = \
	"$(cd "$LIND_SRC" && pwd -P)" ] ||
	skip "not a git checkout (the package is built from git's files; make distcheck's tree is not one)"
grep -q '^SAN_CFLAGS = -fsanitize' "$LIND_BUILD/Makefile" &&
	skip "sanitized build: the package builds the same, so it is tested in the plain build"
"$LIND_SRC/scripts/deps" dpkg-dev debhelper >/dev/null 2>&1
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	skip "dpkg-buildpackage or debhelper missing and not installable (apt-get install dpkg-dev debhelper)"
dpkg-query -W -f='${Status}' lind 2>/dev/null | grep -q 'ok installed' &&
	skip "a lind package is installed here: not replaced"
[ -e /run/lind ] && skip "/run/lind exists: a system-wide lind runs here"

RUN=/run/lind
had_group=$(getent group lind || true)
tracer=
by_hand=

cleanup_pkg() {
	[ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
	stop_daemons || true
	dpkg-query -W lind >/dev/null 2>&1 && dpkg --purge lind >>"$T/dpkg.log" 2>&1
	[ -n "$by_hand" ] && rm -rf "$RUN" # systemd's RuntimeDirectory=
	[ -n "$had_group" ] || groupdel lind 2>/dev/null
	finish
}
trap cleanup_pkg EXIT

# ---- build: the tracked and new files of this checkout, not its builds
src="$T/pkg/lind-0.1.0"
mkdir -p "$src"
git -C "$LIND_SRC" ls-files -z -co --exclude-standard |
	tar -C "$LIND_SRC" --null -T - -cf - | tar -C "$src" -xf -
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
	not_ok "dpkg-buildpackage -us -uc -b"
	tail -40 "$T/build.log" | diag
	exit 1
fi
ok "dpkg-buildpackage -us -uc -b"
deb=$(ls "$T"/pkg/lind_*.deb)
if ! dpkg -i "$deb" >"$T/dpkg.log" 2>&1; then
	not_ok "dpkg -i $(basename "$deb")"
	diag "$T/dpkg.log"
	exit 1
fi
ok "dpkg -i $(basename "$deb")"

# ---- what it holds (read from the .deb: some images filter man pages out)
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for n in $(sed -n 's|^\./usr/bin/||p' <<<"$files"); do
	case $n in *-lind-linux-gnu-*) continue ;; esac # names of lind-cc
	check "$n has a man page" grep -qE "^\./usr/share/man/man[18]/$n\.[18]\.gz\$" <<<"$files"
	check "$n has bash completion" grep -qx "\./usr/share/bash-completion/completions/$n" <<<"$files"
done
units=$(dpkg -L lind | grep -E '/systemd/(system|user)/.*\.service$')
expect_eq "system and user units for both daemons" 4 "$(wc -w <<<"$units")"
if command -v systemd-analyze >/dev/null; then
	for u in $units; do
		out=$(systemd-analyze verify "$u" 2>&1)
		expect_eq "systemd-analyze verify $u" "" "$out"
	done
fi
expect_eq "group lind made for the relay's socket" lind \
	"$(getent group lind | cut -d: -f1)"

# ---- the daemons, as systemd runs them (in CI it is not PID 1)
system_unit() { grep "/systemd/system/$1.service\$" <<<"$units"; }
exec_start() { sed -n 's/^ExecStart=//p' "$(system_unit "$1")"; }
if [ -z "$(system_unit posix-server)" ] || [ -z "$(system_unit nacl-relay)" ]; then
	not_ok "the package holds the system units"
	exit 1
elif [ -d /run/systemd/system ]; then
	check "systemctl start nacl-relay (and posix-server)" \
		systemctl start nacl-relay.service
else
	by_hand=yes
	install -d -m 0700 "$RUN" /var/lib/lind # RuntimeDirectory, StateDirectory
	read -ra cmd <<<"$(exec_start posix-server)"
	start_daemon "${cmd[0]}" "$T/server.log" "$RUN/server.sock" "${cmd[@]:1}" &&
		server_pid=$daemon_pid
	read -ra cmd <<<"$(exec_start nacl-relay)"
	start_daemon "${cmd[0]}" "$T/relay.log" "$RUN/relay.sock" "${cmd[@]:1}" &&
		relay_pid=$daemon_pid
fi
check "the daemons listen in $RUN" wait_for 10 test -S "$RUN/relay.sock"

# ---- smoke test: a member of group lind runs a lind-cc-built hello
chmod 711 "$T"
check "installed lind-cc builds hello" \
	/usr/bin/lind-cc -o "$T/hello" "$LIND_SRC/scripts/hello.c"
chmod 755 "$T/hello"
/usr/bin/lind-trace --runtime-dir "$RUN" >"$T/trace.out" 2>"$T/trace.err" &
tracer=$!
wait_for 10 grep -q attached "$T/trace.err"
as_member() {
	if command -v setpriv >/dev/null; then
		setpriv --reuid 1001 --regid 1001 --groups "$(getent group lind | cut -d: -f3)" "$@"
	else
		"$@"
	fi
}
out=$(LIND_RUNTIME_DIR=$RUN as_member /usr/bin/lind-run "$T/hello" 2>&1)
expect_eq "hello runs in a cage" "read back: written in cage" \
	"$(grep -o 'read back: written in cage' <<<"$out")"
check "lind-trace shows its openat" \
	wait_for 5 grep -q 'openat(AT_FDCWD, "/tmp/hello.txt"' "$T/trace.out"
kill -INT "$tracer" && wait "$tracer"
tracer=

# ---- purge leaves nothing
if [ -n "$by_hand" ]; then
	check "daemons stop cleanly on SIGTERM" stop_daemons
else
	systemctl stop nacl-relay.service posix-server.service
fi
check "dpkg --purge lind" quiet dpkg --purge lind
check "the store is gone with the package" test ! -e /var/lib/lind
left=$(ls /etc/systemd/system/*.wants 2>/dev/null | grep -E 'posix-server|nacl-relay')
expect_eq "no unit stays enabled" "" "$left"
