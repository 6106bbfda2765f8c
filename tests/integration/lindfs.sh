#!/bin/bash
# lind-fs: files in and out of the virtual filesystem through the running
# daemons; cages see the result at once and lind-fs sees theirs.  Errors
# name the path and the reason; a user's lind-fs has that user's rights.
. "$(dirname "$0")/lib.sh"
build_tool
LIND_FS="$LIND_BUILD/lind-fs"

one_line_error() { # CMD...: exit status and the number of stderr lines
	"$@" >/dev/null 2>"$T/err"
	echo "$? $(wc -l <"$T/err")"
}
expect_eq "no command: one line, exit 2" "2 1" "$(one_line_error "$LIND_FS")"
expect_eq "unknown command" "2 1" "$(one_line_error "$LIND_FS" frob :/x)"
expect_eq "unknown option" "2 1" "$(one_line_error "$LIND_FS" ls -Z :/)"
expect_eq "cp host -> host" "2 1" "$(one_line_error "$LIND_FS" cp /etc/hostname /tmp/x)"
check "... saying which side is which" grep -q "one side must be host" "$T/err"
expect_eq "cp with one operand" "2 1" "$(one_line_error "$LIND_FS" cp :/x)"
check "lind-fs --help" eval "\"$LIND_FS\" --help >/dev/null"
expect_eq "no relay: one line, exit 127" "127 1" "$(one_line_error "$LIND_FS" ls :/)"

start_daemons || exit 1

# Round trips: in, a cage reads it; a cage writes, out.
printf 'from the host\n' >"$T/in.txt"
chmod 0640 "$T/in.txt"
check "cp a file in" "$LIND_FS" cp "$T/in.txt" :/tmp/in.txt
expect_eq "a cage reads it at once" "from the host" "$(cage cat /tmp/in.txt)"
expect_eq "its mode is kept" "-rw-r----- /tmp/in.txt" \
	"$("$LIND_FS" ls -l :/tmp/in.txt | awk '{print $1, $NF}')"
cage write /tmp/out.txt "from a cage" >/dev/null
check "cp a file out" "$LIND_FS" cp :/tmp/out.txt "$T/out.txt"
expect_eq "the host has what the cage wrote" "from a cage" "$(cat "$T/out.txt")"
expect_eq "cat" "from a cage" "$("$LIND_FS" cat :/tmp/out.txt)"

# Trees with modes, both ways; a host directory as the destination.
mkdir -p "$T/tree/sub/deep" "$T/back"
printf 'a\n' >"$T/tree/a"
printf '#!/bin/sh\n' >"$T/tree/sub/run.sh"
head -c 200000 /dev/urandom >"$T/tree/sub/deep/big"
chmod 0755 "$T/tree/sub/run.sh"
chmod 0600 "$T/tree/a"
chmod 0750 "$T/tree/sub"
chmod 0500 "$T/tree/sub/deep" # read-only: filled before its mode is set
check "mkdir -p" "$LIND_FS" mkdir -p :/data/share
check "mkdir -p of an existing tree is fine" "$LIND_FS" mkdir -p :/data
check "cp -r a tree into a directory" "$LIND_FS" cp -r "$T/tree" :/data/share
expect_eq "a cage sees the tree" "a" "$(cage cat /data/share/tree/a)"
check "cp -r it back out" "$LIND_FS" cp -r :/data/share/tree "$T/back"
modes() { (cd "$1" && find . -printf '%p %m %s\n' | sort); }
check "the tree came back with its modes and sizes" \
	diff <(modes "$T/tree") <(modes "$T/back/tree")
check "... and its contents" cmp "$T/tree/sub/deep/big" "$T/back/tree/sub/deep/big"
chmod -R u+w "$T/back"

"$LIND_FS" ls -l :/data/share/tree >"$T/ls.out"
expect_eq "ls -l: one line per entry" 2 "$(wc -l <"$T/ls.out")"
check "ls -l: a file's line" grep -Eq \
	"^-rw------- 1 $(id -u) $(id -g) 2 [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} a\$" "$T/ls.out"
check "ls -l: a directory's line" grep -Eq '^drwxr-x--- [0-9]+ .* sub$' "$T/ls.out"
expect_eq "ls without -l: names" "a sub" "$(echo $("$LIND_FS" ls :/data/share/tree))"

check "rm -r a tree (a read-only directory inside)" "$LIND_FS" rm -r :/data/share/tree
expect_eq "a cage sees it gone" "probe /data/share/tree: ENOENT" \
	"$(cage probe /data/share/tree)"

# Errors: the path and the reason, one line, exit 1.
expect_eq "cp of a missing host file" "1 1" \
	"$(one_line_error "$LIND_FS" cp "$T/nope" :/tmp/x)"
check "... naming it and why" grep -q "$T/nope: No such file or directory" "$T/err"
expect_eq "cp of a missing virtual path" "1 1" \
	"$(one_line_error "$LIND_FS" cp :/nope/x "$T/x")"
check "... naming it with its ':'" grep -q ":/nope/x: No such file or directory" "$T/err"
expect_eq "cat of a missing virtual path" "1 1" "$(one_line_error "$LIND_FS" cat :/nope)"
expect_eq "rm of a directory without -r" "1 1" "$(one_line_error "$LIND_FS" rm :/data)"
check "... saying so" grep -q ":/data: Is a directory" "$T/err"
expect_eq "cp of a directory without -r" "1 1" "$(one_line_error "$LIND_FS" cp "$T/tree" :/tmp)"
expect_eq "rm -r of /" "1 1" "$(one_line_error "$LIND_FS" rm -r :/)"
expect_eq "rm -f of a missing path is fine" "0 0" "$(one_line_error "$LIND_FS" rm -f :/nope)"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	"$LIND_FS" mkdir :/rootonly
	chmod 711 "$T" "$LIND_RUNTIME_DIR"
	chmod 666 "$LIND_RUNTIME_DIR/relay.sock"
	as1001() { setpriv --reuid 1001 --regid 1001 --clear-groups "$LIND_FS" "$@"; }
	expect_eq "uid 1001: cp into a root-owned directory" "1 1" \
		"$(one_line_error as1001 cp "$LIND_FS" :/rootonly/x)"
	check "... is permission denied, naming the path" \
		grep -q ":/rootonly/x: Permission denied" "$T/err"
	expect_eq "uid 1001: mkdir there too" "1 1" \
		"$(one_line_error as1001 mkdir -p :/rootonly/a/b)"
	check "... naming the path" grep -q ":/rootonly/a: Permission denied" "$T/err"
	check "uid 1001: reading is allowed" as1001 ls :/rootonly
else
	ok "permission denied as uid 1001 # SKIP needs root and setpriv(1)"
fi

# A program put in with lind-fs and run from the virtual filesystem.
cat >"$T/execit.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	execv(argv[1], argv + 1);
	printf("exec: %s\n", strerrorname_np(errno));
	return 127;
}
EOF
"$LIND_CC" -o "$T/bin/execit" "$T/execit.c"
check "cp a program in" "$LIND_FS" cp "$TOOL" :/data/tool
if [ "$("$LIND_RUN" "$T/bin/execit" /nope 2>&1)" = "exec: ENOSYS" ]; then
	ok "a program copied in runs from the virtual filesystem # SKIP no exec yet"
else
	expect_eq "a program copied in runs from the virtual filesystem" \
		"from a cage" "$("$LIND_RUN" "$T/bin/execit" /data/tool cat /tmp/out.txt)"
fi
