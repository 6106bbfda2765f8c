#!/bin/bash
# Permissions and owners (issue 8): one program prepares a tree as root,
# checks every permission rule as uid 1000 (groups 1000, 2000), and makes
# the id calls as root; natively (setpriv) in a scratch directory and in
# cages (lind-run --uid) on the store, and the outputs must match.  Then
# what only a cage shows: lind-run --uid is root's, a setuid file does not
# change a cage's ids on exec, and /proc/self/status tells the ids.
. "$(dirname "$0")/lib.sh"
if ! can_switch_user; then
	ok "permissions # SKIP needs root and setpriv(1) to act as uid 1000"
	exit 0
fi
build perms "$LIND_SRC/tests/integration/progs/perms_cage.c" || {
	echo "Bail out! perms_cage does not build"
	cat "$T"/bin/perms.*.err >&2
	exit 1
}
NAT="$T/bin/perms.native"
CAGE="$T/bin/perms.lind"
LIND_FS="$LIND_BUILD/lind-fs"
USER_IDS=(--reuid 1000 --regid 1000 --groups 1000,2000)
CAGE_IDS=(--uid 1000 --gid 1000 --groups 1000,2000)
chmod 711 "$T"
chmod -R a+rX "$T/bin"
start_daemons || exit 1

# Natively: a scratch directory prepared by root.
N="$T/native"
mkdir -m 755 "$N"
"$NAT" setup "$N/w" >"$T/setup.native" 2>&1
install -m 755 "$NAT" "$N/w/prog"
# In cages: the store prepared the same way by a root cage.
"$LIND_RUN" "$CAGE" setup /w >"$T/setup.cage" 2>&1
"$LIND_FS" cp "$CAGE" :/w/prog >/dev/null 2>&1
expect_eq "setup natively says nothing" "" "$(cat "$T/setup.native")"
expect_eq "setup in a root cage says nothing" "" "$(cat "$T/setup.cage")"

# compare NAME NATIVE_OUT CAGE_OUT: same output, line by line
compare() {
	if diff "$2" "$3" >"$T/$1.diff"; then
		ok "$1: cage and native agree ($(wc -l <"$2") lines)"
	else
		not_ok "$1: cage and native differ"
		diag "$T/$1.diff"
	fi
}

(cd / && setpriv "${USER_IDS[@]}" "$NAT" check "$N/w") >"$T/check.native" 2>&1
(cd / && "$LIND_RUN" "${CAGE_IDS[@]}" "$CAGE" check /w) >"$T/check.cage" 2>&1
compare "every rule as uid 1000" "$T/check.native" "$T/check.cage"
check "... and the rules were exercised (EACCES, EPERM and successes)" \
	sh -c "grep -q EACCES '$T/check.cage' && grep -q EPERM '$T/check.cage' &&
		grep -q ': 0$' '$T/check.cage'"

(cd / && "$NAT" creds "$N/w") >"$T/creds.native" 2>&1
(cd / && "$LIND_RUN" "$CAGE" creds /w) >"$T/creds.cage" 2>&1
compare "the id calls as root" "$T/creds.native" "$T/creds.cage"
check "... threads saw setuid (glibc's SIGSETXID)" \
	grep -q "other thread: 1000 1000 1000" "$T/creds.cage"
check "... the exec'd image kept the ids" \
	grep -q "^exec'd: uid 1000 1001 1001" "$T/creds.cage"

# Only in a cage.
out=$(setpriv --reuid 1001 --regid 1001 --groups "$GRP" \
	"$LIND_RUN" --uid 0 "$CAGE" ids 2>&1)
st=$?
expect_eq "lind-run --uid by a non-root user: one line, exit 2" "2 1" \
	"$st $(printf '%s\n' "$out" | wc -l)"
expect_eq "... saying why" \
	"lind-run: --uid, --gid and --groups are for root only (you are uid 1001)" \
	"$out"
expect_eq "lind-run --gid alone keeps the launcher's uid and groups" \
	"exec'd: uid 0 0 0 fs 0 gid 7 7 7 fs 7 groups 5 6 (getuid 0 geteuid 0 getgid 7 getegid 7)" \
	"$(setpriv --groups 6,5 "$LIND_RUN" --gid 7 "$CAGE" ids)"
expect_eq "--groups '' gives none" \
	"exec'd: uid 5 5 5 fs 5 gid 6 6 6 fs 6 groups (getuid 5 geteuid 5 getgid 6 getegid 6)" \
	"$("$LIND_RUN" --uid 5 --gid 6 --groups '' "$CAGE" ids)"
expect_eq "a bad --uid: exit 2" 2 \
	"$("$LIND_RUN" --uid 1x "$CAGE" ids >/dev/null 2>&1; echo $?)"
expect_eq "/proc/self/status shows the virtual ids and groups" \
	"Uid: 1000 1000 1000 1000|Gid: 1000 1000 1000 1000|Groups: 1000 2000" \
	"$("$LIND_RUN" "${CAGE_IDS[@]}" /bin/cat /proc/self/status |
		grep -E '^(Uid|Gid|Groups):' | tr -s '\t ' ' ' | sed 's/ $//' |
		paste -sd'|')"
expect_eq "a cage's files are made with its virtual ids" "1000 2000" \
	"$("$LIND_RUN" --uid 1000 --gid 2000 /bin/sh -c \
		'touch /tmp/made && stat -c "%u %g" /tmp/made')"
# A setuid file changes no ids on exec: the cage runs the loader that
# maps it, so it could keep its own code under the new ids (as a nosuid
# mount, docs/architecture.md "Credentials").
"$LIND_RUN" /bin/sh -c 'cp /w/prog /w/suidprog && chmod 4755 /w/suidprog'
expect_eq "exec of a setuid-root file keeps the cage's ids" \
	"exec'd: uid 1000 1000 1000" \
	"$("$LIND_RUN" "${CAGE_IDS[@]}" /bin/sh -c '/w/suidprog ids' 2>&1 |
		cut -d' ' -f1-5)"

# The relay, not lind-run, decides: another user's Attach asking for uid
# 0 is refused with a reason.
share_daemons || exit 1
out=$(as_user 1001 /usr/bin/python3 "$LIND_SRC/tests/integration/progs/hostile_attach.py" \
	"$LIND_RUNTIME_DIR" setcred 0 2>&1)
check "a non-root Attach with uid 0 is refused by the relay" \
	grep -q "^refused:.*only root may choose" <<<"$out"
check "... and root's is taken" sh -c "python3 '$LIND_SRC/tests/integration/progs/hostile_attach.py' '$LIND_RUNTIME_DIR' setcred 5 | grep -q '^attached'"
