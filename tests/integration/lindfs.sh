#!/bin/bash
# lind-fs: files in and out of the virtual filesystem through the running
# daemons; cages see the result at once and lind-fs sees theirs.  Errors
# name the path and the reason; a user's lind-fs has that user's rights.
# cp -a keeps a tree whole both ways; fsck and format work on a stopped
# store (every kind of damage: tests/unit/test_server_fsck.c).
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
check "... saying so" grep -q "are both host paths" "$T/err"
expect_eq "cp with one operand" "2 1" "$(one_line_error "$LIND_FS" cp :/x)"
expect_eq "chmod with a bad mode" "2 1" "$(one_line_error "$LIND_FS" chmod u+q :/x)"
expect_eq "chown of an unknown user" "2 1" \
	"$(one_line_error "$LIND_FS" chown no-such-user-here :/x)"
expect_eq "stat with an unknown directive" "2 1" \
	"$(one_line_error "$LIND_FS" stat -c '%Q' :/x)"
expect_eq "df of a path" "2 1" "$(one_line_error "$LIND_FS" df :/tmp)"
expect_eq "mv with one operand" "2 1" "$(one_line_error "$LIND_FS" mv :/x)"
expect_eq "stat -c without its format" "2 1" "$(one_line_error "$LIND_FS" stat -c)"
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
	printf 'secret\n' >"$T/secret"
	chmod 600 "$T/secret"
	"$LIND_FS" cp -p "$T/secret" :/rootonly/secret
	expect_eq "uid 1001: cat of root's 0600 file" "1 1" \
		"$(one_line_error as1001 cat :/rootonly/secret)"
	check "... permission denied" grep -q ":/rootonly/secret: Permission denied" "$T/err"
	expect_eq "uid 1001: chmod of root's file" "1 1" \
		"$(one_line_error as1001 chmod 644 :/rootonly/secret)"
	check "... not permitted" grep -q ":/rootonly/secret: Operation not permitted" "$T/err"
	expect_eq "uid 1001: chown to itself" "1 1" \
		"$(one_line_error as1001 chown 1001 :/rootonly/secret)"
	expect_eq "uid 1001: rm in root's directory" "1 1" \
		"$(one_line_error as1001 rm :/rootonly/secret)"
	check "... permission denied" grep -q ":/rootonly/secret: Permission denied" "$T/err"
	expect_eq "uid 1001: mv out of it" "1 1" \
		"$(one_line_error as1001 mv :/rootonly/secret :/tmp/s)"
	expect_eq "uid 1001: cp -a out of it" "1 1" \
		"$(one_line_error as1001 cp -a :/rootonly/secret /dev/null)"
	expect_eq "uid 1001: fsck of root's store" "3 1" \
		"$(one_line_error as1001 fsck "$LIND_STORE")"
	check "... says why" grep -q "$LIND_STORE: Permission denied" "$T/err"
	expect_eq "root's file is still there" "secret" "$("$LIND_FS" cat :/rootonly/secret)"
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

# ---- cp -a: a tree in and out again is the same tree ---------------------
src="$T/rt/tree"
mkdir -p "$src/sub/deep" "$src/empty"
printf 'a\n' >"$src/a"
head -c 300000 /dev/urandom >"$src/sub/big"
: >"$src/sub/zero"
ln "$src/a" "$src/sub/a-again"              # a hard link
ln -s ../a "$src/sub/rel"                   # relative symlink
ln -s /etc/passwd "$src/abs"                # absolute
ln -s nowhere "$src/sub/deep/dangling"      # dangling
mkfifo "$src/fifo"
chmod 4751 "$src/sub/big"
chmod 0600 "$src/a"
chmod 1777 "$src/empty"
chmod 0550 "$src/sub/deep"
touch -h -d '2001-02-03 04:05:06' "$src/sub/rel" "$src/abs"
touch -d '2002-03-04 05:06:07' "$src/a" "$src/sub/big" "$src/fifo"
touch -d '2003-04-05 06:07:08' "$src/sub/deep" "$src/sub" "$src/empty" "$src"
listing() { # modes, owners, mtimes, links, types; then symlink targets
	(cd "$1" && find . -printf '%p ' -exec stat -c '%a %u %g %Y %h %F' {} \; |
		sort && find . -type l -printf '%p %l\n' | sort)
}
check "cp -a a tree in" "$LIND_FS" cp -a "$src" :/rt
expect_eq "hard links stay one inode" \
	"$("$LIND_FS" stat -c %i :/rt/a) 2" \
	"$("$LIND_FS" stat -c '%i %h' :/rt/sub/a-again)"
expect_eq "a symlink's target" "'/rt/sub/rel' -> '../a'" \
	"$("$LIND_FS" stat -c %N :/rt/sub/rel)"
expect_eq "a cage reads through the symlink" "a" "$(cage cat /rt/sub/rel)"
check "cp -a it out again" "$LIND_FS" cp -a :/rt "$T/rt/back"
check "... byte-identical" diff -r --no-dereference -x fifo "$src" "$T/rt/back"
check "... modes, owners, mtimes, link counts, types, targets" \
	diff <(listing "$src") <(listing "$T/rt/back")
expect_eq "... hard links kept out too" \
	"$(stat -c %i "$T/rt/back/a")" "$(stat -c %i "$T/rt/back/sub/a-again")"
check "cp -a virtual -> virtual" "$LIND_FS" cp -a :/rt :/rt2
check "cp -a that copy out" "$LIND_FS" cp -a :/rt2 "$T/rt/back2"
check "... the same tree" diff <(listing "$src") <(listing "$T/rt/back2")
expect_eq "cp -a into itself" "1 1" "$(one_line_error "$LIND_FS" cp -a :/rt :/rt/sub)"
check "... refused" grep -q "is inside the tree it would copy" "$T/err"
chmod -R u+w "$T/rt"

# ---- the other commands ---------------------------------------------------
"$LIND_FS" ls -l :/rt/sub >"$T/ls.out"
check "ls -l: a symlink's line ends with its target" \
	grep -Eq '^lrwxrwxrwx 1 [0-9]+ [0-9]+ 4 2001-02-03 [0-9:]{5} rel -> \.\./a$' "$T/ls.out"
check "ls -l: setuid shows" grep -Eq '^-rwsr-x--x 1 .* big$' "$T/ls.out"
expect_eq "ls -ld: the directory itself" "dr-xr-x---" \
	"$("$LIND_FS" ls -ld :/rt/sub/deep | cut -d' ' -f1)"
expect_eq "ls of a fifo" "prw-r--r--" "$("$LIND_FS" ls -l :/rt/fifo | cut -d' ' -f1)"
"$LIND_FS" stat :/rt/sub/big >"$T/stat.out"
check "stat: name, size, type" grep -q "File: '/rt/sub/big'" "$T/stat.out"
check "stat: mode both ways" grep -q "Access: (04751/-rwsr-x--x)" "$T/stat.out"
expect_eq "stat -c" "1777 directory 2" "$("$LIND_FS" stat -c '%a %F %h' :/rt/empty)"
expect_eq "stat -L follows" "regular file" "$("$LIND_FS" stat -L -c %F :/rt/sub/rel)"
expect_eq "cat of several files" "$(printf 'a\na')" \
	"$("$LIND_FS" cat :/rt/a :/rt/sub/rel)"

check "mkdir -p of a deep path" "$LIND_FS" mkdir -p :/m/a/b/c
expect_eq "mkdir -p through a file" "1 1" "$(one_line_error "$LIND_FS" mkdir -p :/rt/a/x)"
check "... names the component" grep -q ":/rt/a: Not a directory" "$T/err"
expect_eq "mkdir of an existing one" "1 1" "$(one_line_error "$LIND_FS" mkdir :/m)"
check "mv renames" "$LIND_FS" mv :/m/a :/m/z
expect_eq "... the new name is there" "b" "$("$LIND_FS" ls :/m/z)"
check "mv into a directory" "$LIND_FS" mv :/rt2/a :/rt2/fifo :/m
expect_eq "... both there" "a fifo z" "$(echo $("$LIND_FS" ls :/m))"
expect_eq "mv of a missing one" "1 1" "$(one_line_error "$LIND_FS" mv :/m/nope :/m/z)"
check "... names it" grep -q ":/m/nope: No such file or directory" "$T/err"
expect_eq "mv a directory into itself" "1 1" \
	"$(one_line_error "$LIND_FS" mv :/m/z :/m/z/b/in)"
check "ln -s" "$LIND_FS" ln -s z/b :/m/link
expect_eq "... a cage follows it" "probe /m/link: opened" "$(cage probe /m/link)"
check "ln (hard)" "$LIND_FS" ln :/m/a :/m/a2
expect_eq "... another name (a had two)" "3" "$("$LIND_FS" stat -c %h :/m/a)"
expect_eq "ln over an existing name" "1 1" "$(one_line_error "$LIND_FS" ln -s x :/m/a2)"
check "... File exists" grep -q ":/m/a2: File exists" "$T/err"
check "ln -sf replaces it" "$LIND_FS" ln -sf x :/m/a2
expect_eq "... now a link" "x" "$("$LIND_FS" ls -l :/m/a2 | awk '{print $NF}')"
expect_eq "ln of a missing file" "1 1" "$(one_line_error "$LIND_FS" ln :/nope :/m/n)"

check "chmod octal" "$LIND_FS" chmod 640 :/m/a
check "chmod symbolic" "$LIND_FS" chmod u+x,g-r,o=r :/m/a
expect_eq "... both applied" "-rwx---r--" "$("$LIND_FS" stat -c %A :/m/a)"
check "chmod -R" "$LIND_FS" chmod -R go-rwx :/m/z
expect_eq "... down the tree" "700 700" \
	"$("$LIND_FS" stat -c %a :/m/z :/m/z/b | tr '\n' ' ' | sed 's/ $//')"
expect_eq "chmod of a missing path" "1 1" "$(one_line_error "$LIND_FS" chmod 600 :/nope)"
if [ "$(id -u)" = 0 ]; then
	check "chown (root)" "$LIND_FS" chown 1001:1002 :/m/a
	expect_eq "... the new owner" "1001 1002" "$("$LIND_FS" stat -c '%u %g' :/m/a)"
	check "chown -R -h" "$LIND_FS" chown -R -h 1003 :/m/z
	expect_eq "... down the tree" "1003 1003" \
		"$("$LIND_FS" stat -c %u :/m/z :/m/z/b | tr '\n' ' ' | sed 's/ $//')"
	check "cp -a keeps owners (root)" "$LIND_FS" cp -a :/m/a "$T/owned"
	expect_eq "... on the host" "1001 1002" "$(stat -c '%u %g' "$T/owned")"
else
	ok "chown to another user # SKIP needs root"
fi

"$LIND_FS" du -s :/rt >"$T/du.out"
check "du -s: KiB and the path" grep -Eq '^[0-9]+	/rt$' "$T/du.out"
check "... at least the 300 KB file" test "$(cut -f1 "$T/du.out")" -ge 293
expect_eq "du: a line per directory" 4 "$("$LIND_FS" du :/rt | wc -l)"
check "du -sh" eval "\"$LIND_FS\" du -sh :/rt | grep -Eq '^[0-9.]+K	/rt$'"
expect_eq "du of a missing path" "1 1" "$(one_line_error "$LIND_FS" du :/nope)"
"$LIND_FS" df >"$T/df.out"
check "df: the header" grep -q '^Filesystem 1K-blocks Used Available Use% Mounted on$' "$T/df.out"
check "df: the store's figures" grep -Eq '^lind-store [0-9]+ [0-9]+ [0-9]+ [0-9]+% /$' "$T/df.out"
expect_eq "df: the store's filesystem's size" \
	"$(df -k --output=size "$LIND_STORE" | tail -1 | tr -d ' ')" \
	"$(awk 'NR==2 {print $2}' "$T/df.out")"
check "df -h" eval "\"$LIND_FS\" df -h | grep -Eq '^lind-store [0-9.]+[KMGTP] '"

check "rm -r of a tree with links in it" "$LIND_FS" rm -r :/rt2 :/m
expect_eq "rm -f of a missing path" "0 0" "$(one_line_error "$LIND_FS" rm -f :/nope)"
expect_eq "rm of a missing path" "1 1" "$(one_line_error "$LIND_FS" rm :/nope)"

# ---- fsck and format: a stopped store ---------------------------------------
check "mkdir while running" "$LIND_FS" mkdir -p :/keep/dir
ino_a=$("$LIND_FS" stat -c %i :/rt/a)
ino_big=$("$LIND_FS" stat -c %i :/rt/sub/big)
expect_eq "fsck of a store in use" "3 1" "$(one_line_error "$LIND_FS" fsck)"
check "... says why" grep -q "in use by a running posix-server" "$T/err"
expect_eq "format of a store in use" "3 1" "$(one_line_error "$LIND_FS" format --force)"
stop_daemons
"$LIND_FS" fsck >"$T/fsck.out"
expect_eq "fsck of a cleanly stopped store" "0 $LIND_STORE: clean" \
	"$? $(cat "$T/fsck.out")"
expect_eq "fsck of no store" "3 1" "$(one_line_error "$LIND_FS" fsck "$T/rt")"
check "... says so" grep -q "not a store (no FORMAT file)" "$T/err"

start_daemons || exit 1
check "changes the journal holds" "$LIND_FS" mkdir :/j1 :/j2
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=
stop_daemons
"$LIND_FS" fsck >"$T/fsck.out"
expect_eq "fsck after kill -9: consistent" "0" "$?"
check "... clean" grep -q ": clean" "$T/fsck.out"

# Damage: a journal record hiding later ones, a file's bytes gone, bytes
# no inode owns, a symlink planted in data/.
printf '\377' | dd of="$LIND_STORE/meta.log" bs=1 seek=20 conv=notrunc 2>/dev/null
rm "$LIND_STORE/data/$ino_big"
printf 'orphaned bytes\n' >"$LIND_STORE/data/99999"
ln -sf /etc/shadow "$LIND_STORE/data/$ino_a"
"$LIND_FS" fsck >"$T/fsck.out"
expect_eq "fsck of a damaged store exits 1" 1 "$?"
check "... the journal's bad record" grep -q "^meta.log: bad record after byte" "$T/fsck.out"
check "... the lost bytes" grep -q "^/rt/sub/big: 300000 bytes, but its data file data/$ino_big is missing" "$T/fsck.out"
check "... the orphan" grep -q "^data/99999: 15 bytes no inode owns" "$T/fsck.out"
check "... the way out" grep -q "^data/$ino_a of /rt/a is not a file on the host but a symlink" "$T/fsck.out"
expect_eq "... and a count" "$LIND_STORE: 4 problems (0 repaired)" "$(tail -1 "$T/fsck.out")"
"$LIND_FS" fsck --repair >"$T/fsck.out"
expect_eq "fsck --repair" 0 "$?"
expect_eq "... says what it did, a line each" 4 "$(grep -c '; repaired: ' "$T/fsck.out")"
"$LIND_FS" fsck >"$T/fsck.out"
expect_eq "fsck after repair: clean" "0 $LIND_STORE: clean" "$? $(cat "$T/fsck.out")"
check "the symlink is gone from data/" test ! -L "$LIND_STORE/data/$ino_a"
start_daemons || exit 1
expect_eq "the orphan's bytes in /lost+found" "orphaned bytes" \
	"$("$LIND_FS" cat ":/lost+found/#99999")"
expect_eq "what the journal held before the damage is there" "dir" \
	"$("$LIND_FS" ls :/keep)"
stop_daemons

mkdir -p "$T/other" "$T/new"
printf 'mine\n' >"$T/other/notes"
expect_eq "format of a directory with other files" "3 1" \
	"$(one_line_error "$LIND_FS" format --force "$T/other")"
check "... refused, naming one" grep -q "not empty and not a store (holds notes)" "$T/err"
check "... and left alone" test -f "$T/other/notes"
expect_eq "format of a store without --force" "3 1" "$(one_line_error "$LIND_FS" format)"
check "... says how" grep -q "holds a store (--force erases it)" "$T/err"
check "format --force" "$LIND_FS" format --force
check "format of a new directory" "$LIND_FS" format "$T/new/store"
expect_eq "... clean" "$T/new/store: clean" "$("$LIND_FS" fsck "$T/new/store")"
start_daemons || exit 1
expect_eq "the formatted store is empty" "dev etc proc tmp usr" \
	"$("$LIND_FS" ls :/ | grep -v '^[bls]' | tr '\n' ' ' | sed 's/ $//')"
