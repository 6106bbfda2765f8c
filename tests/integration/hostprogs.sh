#!/bin/bash
# Unmodified Debian programs in a cage (lind-run, server with --host-root)
# against a native run on an equivalent tree: the same commands build the
# same tree at the same path (/tmp/lind-hp-PID) natively on the host and in
# the cage's virtual filesystem, and each step must print the same thing
# and exit with the same status.  A program that is not installed is
# skipped with one line.  The harness compares files and outputs; the
# pipelines are in shell.sh.
. "$(dirname "$0")/lib.sh"

start_daemons || exit 1 # with --host-root: libraries, interpreters

D=/tmp/lind-hp-$$
LIC=/usr/share/common-licenses
trap 'rm -rf "$D"; finish' EXIT
export TZ=UTC LC_ALL=C

# norm FILE: what may differ by the host's filesystem, not by the program:
# allocated blocks ("total N" of ls -l).
norm() { sed -i 's/^total [0-9]*$/total -/' "$1"; }

# run_both NAME [sorted] PROGRAM ARGS...: native, then in a cage.  With
# "sorted", lines are compared as sets (directory order is the
# filesystem's).  Leaves the outputs in $T/native.out and $T/cage.out.
run_both() {
	local name=$1 sorted=
	shift
	[ "$1" = sorted ] && { sorted=1; shift; }
	local prog
	if ! prog=$(command -v "$1"); then
		ok "$name # SKIP $1 is not installed"
		return 1
	fi
	shift
	(cd / && "$prog" "$@") >"$T/native.out" 2>&1
	local ns=$?
	"$LIND_RUN" "$prog" "$@" >"$T/cage.out" 2>&1
	local cs=$?
	norm "$T/native.out"
	norm "$T/cage.out"
	if [ -n "$sorted" ]; then
		sort -o "$T/native.out" "$T/native.out"
		sort -o "$T/cage.out" "$T/cage.out"
	fi
	if cmp -s "$T/native.out" "$T/cage.out" && [ "$ns" = "$cs" ]; then
		ok "$name: same output and status ($ns)"
	else
		not_ok "$name: native status $ns, cage status $cs"
		diff -u "$T/native.out" "$T/cage.out" | head -30 | diag
	fi
}

run_both "mkdir -p" mkdir -p $D/a/b/c $D/x
run_both "cp -p keeps mode and times" cp -p $LIC/GPL-3 $D/a/gpl
run_both "cp" cp $LIC/Apache-2.0 $D/a/apache
run_both "chmod" chmod 640 $D/a/apache
run_both "touch -d" touch -d '2001-02-03 04:05:06' $D/a/apache
run_both "stat" stat -c '%a %s %Y %X %F %U %G %n' $D/a/gpl $D/a/apache
run_both "mv" mv $D/a/gpl $D/a/b/gpl
run_both "mv over a file" mv $D/a/apache $D/a/b/c/apache
run_both "mv onto an empty directory" mv $D/x $D/a/b/c/y
run_both "mv of a missing file" mv $D/nothing $D/a
run_both "sha256sum" sha256sum $D/a/b/gpl $D/a/b/c/apache
expect_eq "head -c 100 /dev/urandom: 100 bytes in a cage too" 100 \
	"$("$LIND_RUN" "$(command -v head)" -c 100 /dev/urandom | wc -c)"
run_both "gzip -k" gzip -k $D/a/b/gpl
run_both "rm" rm $D/a/b/gpl
run_both "gunzip (a #! script that execs gzip)" gunzip $D/a/b/gpl.gz
run_both "the same bytes back" sha256sum $D/a/b/gpl
# fixed times on the directories: tar records them
run_both "touch -d on directories" touch -d @1000000000 $D/a $D/a/b $D/a/b/c $D/a/b/c/y
run_both "tar c" tar cf $D/t.tar -C $D a
run_both "the same archive" sha256sum $D/t.tar
run_both "tar tv" tar tvf $D/t.tar
run_both "mkdir" mkdir $D/out
run_both "tar x" tar xpf $D/t.tar -C $D/out
run_both "ls -la" ls -la $D/out/a/b $D/out/a/b/c
run_both "ls -laR" ls -laR $D/out
run_both "find" sorted find $D -name '*a*'
run_both "du" sorted du -a --apparent-size -b $D/out
run_both "rm -r" rm -r $D/out
run_both "after rm -r" ls $D

# sort on 10 MB, generated the same way in both
if py=$(command -v python3) && [ -x /usr/bin/python3 ]; then
	run_both "python3 writes 10 MB" /usr/bin/python3 -c "
import random
random.seed(6)
with open('$D/big', 'w') as f:
    for i in range(560000):
        f.write('%.12f\n' % random.random())"
	run_both "stat of the 10 MB file" stat -c '%s' $D/big
	run_both "sort 10 MB" sort -o $D/sorted $D/big
	run_both "sorted the same" sha256sum $D/sorted
	run_both "python3: files and json" /usr/bin/python3 -c "
import json, os
d = '$D/py'
os.makedirs(d, exist_ok=True)
with open(d + '/a.json', 'w') as f:
    json.dump({'k': [1, 2, 3], 's': 'x'}, f)
print(json.load(open(d + '/a.json')), os.path.getsize(d + '/a.json'))
os.rename(d + '/a.json', d + '/b.json')
print(sorted(os.listdir(d)))
os.remove(d + '/b.json')
os.rmdir(d)"
else
	ok "python3 # SKIP /usr/bin/python3 is not installed"
fi
run_both "python3: sqlite3" \
	/usr/bin/python3 -c "
import sqlite3
c = sqlite3.connect('$D/py.db')
c.execute('create table t(x)')
c.execute('insert into t values (1)')
c.commit()
print(list(c.execute('select * from t')))"
run_both "sqlite3" \
	sqlite3 $D/db 'create table t(x); insert into t values(42); select * from t;'
run_both "lua5.4" lua5.4 -e "
local f = assert(io.open('$D/l.txt', 'w'))
f:write('lua ', _VERSION, '\n')
f:close()
for line in io.lines('$D/l.txt') do print(line) end
print(os.remove('$D/l.txt'))"

# bound host trees: stat and listing as natively; changes are EROFS, a
# rename out of the store EXDEV (mv then copies and meets EROFS); the
# host files are untouched
run_both "stat of a bound file" stat -c '%a %s %Y %F %U %n' /usr/bin/ls $LIC/GPL-3
run_both "ls -la of a bound directory" ls -la $LIC
run_both "statx through find -newer" sorted find $LIC -newer $LIC/GPL-3 -name 'GPL*'
mode_before=$(stat -c %a /usr/bin/ls)
# cage_fails NAME MESSAGE PROGRAM ARGS...: status 1 and that one line
cage_fails() {
	local name=$1 msg=$2 prog out
	prog=$(command -v "$3")
	shift 3
	out=$("$LIND_RUN" "$prog" "$@" 2>&1)
	expect_eq "$name" "1 $prog: $msg" "$? $out"
}
cage_fails "chmod of a bound file: EROFS" \
	"changing permissions of '/usr/bin/ls': Read-only file system" \
	chmod 777 /usr/bin/ls
cage_fails "touch of a bound file: EROFS" \
	"cannot touch '$LIC/GPL-3': Read-only file system" touch $LIC/GPL-3
cage_fails "mv into a bound tree: EXDEV, then EROFS" \
	"inter-device move failed: '$D/a/b/gpl' to '$LIC/moved'; unable to remove target: Read-only file system" \
	mv $D/a/b/gpl $LIC/moved
expect_eq "... the store's file stays" "$D/a/b/gpl" \
	"$("$LIND_RUN" "$(command -v ls)" $D/a/b/gpl 2>&1)"
expect_eq "the host's file is untouched" "$mode_before" "$(stat -c %a /usr/bin/ls)"
check "nothing appeared on the host" test ! -e $LIC/moved

# (atime is left out: relatime moves it on the first read after a change,
# on both sides, so it says nothing here.)  chmod, times and renames are journaled: they survive a restart of both
# daemons, and a kill -9 of the server
run_both "stat before the restart" stat -c '%a %s %Y %n' $D/a/b/gpl $D/a/b/c/apache
cp "$T/cage.out" "$T/before.out"
check "clean shutdown" stop_daemons
start_daemons || exit 1
run_both "stat after a clean restart" stat -c '%a %s %Y %n' $D/a/b/gpl $D/a/b/c/apache
check "... as before it" cmp -s "$T/before.out" "$T/cage.out"
run_both "chmod again" chmod 604 $D/a/b/gpl
run_both "touch -d again" touch -d '1999-01-01 00:00:00' $D/a/b/c/apache
run_both "mv again" mv $D/a/b/c/apache $D/a/moved
run_both "stat before kill -9" stat -c '%a %s %Y %n' $D/a/b/gpl $D/a/moved
cp "$T/cage.out" "$T/before.out"
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=
check "relay exits when its server dies" wait_for 10 eval '! kill -0 $relay_pid 2>/dev/null'
wait "$relay_pid" 2>/dev/null
relay_pid=
start_daemons || exit 1
run_both "stat after kill -9 of the server" stat -c '%a %s %Y %n' $D/a/b/gpl $D/a/moved
check "... as before it" cmp -s "$T/before.out" "$T/cage.out"
