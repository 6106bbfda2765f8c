#!/bin/bash
# sqlite3 from its Debian source (docs/building.md), configured with
# --host=x86_64-lind-linux-gnu out of the cached tree, built and run as a
# cage: SQL in memory and in files of the virtual filesystem with the
# default VFS (fcntl record locks), in rollback-journal and WAL mode (its
# -shm index is a MAP_SHARED mapping), compared with Debian's own build of
# the same source; then several cages writing one database at once.
. "$(dirname "$0")/lib.sh"
. "$LIND_SRC/tests/integration/cross-lib.sh"

if ! src=$(fetch_src sqlite3); then
	ok "sqlite3 # SKIP $(cat "$T/fetch.err")"
	exit 0
fi
# sqlite 3.40 links lemon, a tool run during the build, with the target
# compiler: cross-compiled, it would run as a cage that cannot see the
# grammar in the build tree.  Built first with the build compiler, as
# later sqlite releases do themselves.  The objects are kept (build_cache);
# sqlite3 is linked again each run, with the client-libc of this build.
sqlite_build() {
	"$src/configure" -q $CROSS_ARGS --disable-shared --disable-tcl \
		--disable-readline --disable-editline LDFLAGS="$CAGE_LDFLAGS" &&
		${CC:-cc} -O2 -o lemon "$src/tool/lemon.c" &&
		cp "$src/tool/lempar.c" . && make -j2 sqlite3 && mark_built "$src"
}
S=$TEST_CACHE/sqlite3
if { build_cache sqlite3 "$src" || sqlite_build; } >"$T/sqlite.build" 2>&1 &&
	rm -f sqlite3 && make sqlite3 >>"$T/sqlite.build" 2>&1; then
	ok "sqlite3: configure --host=$LIND_HOST and make ${CAGE_LDFLAGS:-(dynamic)}"
else
	not_ok "sqlite3: configure --host=$LIND_HOST and make"
	tail -20 "$T/sqlite.build" | diag
	exit 1
fi
check "sqlite3 is a cage program" grep -q LIND-CLIENT-LIBC sqlite3
start_daemons || exit 1

cat >"$T/q.sql" <<'EOF'
create table t(id integer primary key, name text, n real);
insert into t(name, n) values ('alpha', 1.5), ('beta', 2.25), ('gamma', -3);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000)
  insert into t(name, n) select 'row' || x, x * 0.5 from c;
create index t_name on t(name);
select count(*), sum(n), min(name), max(name) from t;
select name, n from t where name like 'b%' or id = 500 order by id;
select printf('%.3f', avg(n)), total(length(name)) from t;
select group_concat(name, '|') from (select name from t order by n desc limit 5);
select json_object('v', sqlite_version(), 'n', (select count(*) from t));
EOF
caged=$("$LIND_RUN" "$S/sqlite3" :memory: <"$T/q.sql" 2>&1; echo "status $?")
check "sqlite3 runs SQL in memory in a cage" \
	eval '[[ $caged == "5003|"*"status 0" ]]'

# Debian's sqlite3 package is the same source built natively, when its
# version is the one fetched
want=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$src/debian/changelog")
have=$(dpkg-query -W -f '${Version}' sqlite3 2>/dev/null)
if [ "$want" = "$have" ]; then
	expect_eq "... the same output as Debian's sqlite3 $have" \
		"$(sqlite3 :memory: <"$T/q.sql" 2>&1; echo "status $?")" "$caged"
	native_file=$(sqlite3 "$T/native.db" <"$T/q.sql" 2>&1; echo "status $?")
else
	ok "sqlite3 against Debian's build # SKIP sqlite3 $want is not installed (have: ${have:-none})"
	native_file=$caged
fi

# File databases with the default VFS: fcntl record locks on the database
# and its journal.  A script that changes a database every way, then a
# second cage reads the result back.
cat >"$T/change.sql" <<'EOF'
create table acct(id integer primary key, owner text not null, balance int, note text);
create index acct_owner on acct(owner);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000)
  insert into acct(owner, balance, note)
  select 'owner' || (x % 97), x * 3, printf('%0*d', x % 300, x) from c;
begin;
update acct set balance = balance - 100 where id % 3 = 0;
update acct set note = upper(note) || '!' where owner = 'owner5';
delete from acct where id % 7 = 0;
commit;
begin;
delete from acct where balance < 5000;
rollback;
insert into acct(owner, balance) select owner, sum(balance) from acct group by owner;
create table log(id integer primary key, msg text);
insert into log(msg) select 'moved ' || balance from acct where id between 100 and 900;
delete from log where id % 2 = 0;
update log set msg = msg || ' again' where id % 5 = 0;
drop index acct_owner;
vacuum;
select count(*), sum(balance), count(distinct owner), max(length(note)) from acct;
select owner, count(*), sum(balance) from acct group by owner order by 3 desc limit 5;
select count(*), min(msg), max(msg) from log;
pragma integrity_check;
EOF
cat >"$T/read.sql" <<'EOF'
pragma journal_mode;
select count(*), sum(balance) from acct;
select count(*), sum(length(msg)) from log;
pragma integrity_check;
EOF
# sql_run SQLITE3... DB SCRIPT PRAGMAS: output and status of the script
# after the pragmas
sql_run() {
	{ echo "${*: -1}"; cat "${*: -2:1}"; } | "${@:1:$#-2}" 2>&1
	echo "status $?"
}
# same_as_native WHAT DB PRAGMAS: the change script, then a second run
# that reads the result, in cages and natively (Debian's sqlite3 of the
# same version), compared
same_as_native() {
	local caged reread n=$T/native-${2##*/}
	caged=$(sql_run "$LIND_RUN" "$S/sqlite3" "$2" "$T/change.sql" "$3")
	reread=$(sql_run "$LIND_RUN" "$S/sqlite3" "$2" "$T/read.sql" "")
	if [ "$want" != "$have" ]; then
		ok "$1 # SKIP Debian's sqlite3 $want is not installed"
		return
	fi
	expect_eq "$1: as natively" \
		"$(sql_run sqlite3 "$n" "$T/change.sql" "$3")" "$caged"
	expect_eq "... read back by another cage, as natively" \
		"$(sql_run sqlite3 "$n" "$T/read.sql" "")" "$reread"
}
same_as_native "a file database, default VFS, rollback journal" \
	/tmp/locked.db ""
# WAL: readers and writers share the index in the -shm file, a MAP_SHARED
# mapping; mmap_size has reads of the database go through a mapping too
same_as_native "a file database, default VFS, WAL, database mapped" \
	/tmp/wal.db "pragma journal_mode=wal; pragma mmap_size=67108864;"
expect_eq "a file database with -vfs unix-none: as natively" "$native_file" \
	"$("$LIND_RUN" "$S/sqlite3" -vfs unix-none /tmp/t.db <"$T/q.sql" 2>&1; echo "status $?")"
expect_eq "... and it persists to the next cage" "5003" \
	"$("$LIND_RUN" "$S/sqlite3" -vfs unix-none -readonly /tmp/t.db "select count(*) from t")"
check "... in the virtual filesystem, not on the host" \
	eval '[ ! -e /tmp/t.db ] && [ ! -e /tmp/locked.db ] && [ ! -e /tmp/wal.db ]'

# Cages writing one database at once, each row its own transaction: record
# locks between cages (rollback journal), the shared -shm index (WAL).
# The same program, linked natively with the same sqlite3.o, for the
# expected output.
W=$T/bin/sqlite_writers
WSRC=$LIND_SRC/tests/integration/progs/sqlite_writers.c
if ${CC:-cc} -O1 -I"$S" -o "$W.native" "$WSRC" "$S/sqlite3.o" -lm -lpthread \
	2>"$T/writers.err" && "$LIND_CC" -O1 -I"$S" -o "$W.lind" "$WSRC" \
	"$S/sqlite3.o" -lm -lpthread 2>>"$T/writers.err"; then
	ok "the concurrent writer links sqlite3.o, natively and for cages"
else
	not_ok "the concurrent writer links sqlite3.o"
	diag "$T/writers.err"
fi
WRITERS=3 ROWS=300
# writers RUNNER... DB MODE: WRITERS of them at once
writers() {
	local i
	for i in $(seq $WRITERS); do
		"${@:1:$#-2}" "${*: -2:1}" "$i" $ROWS "${*: -1}" 2>>"$T/writers.log" &
	done
	wait
}
# then each writer's rows, all different, and the integrity check
for mode in delete wal; do
	want_out=$(writers "$W.native" "$T/writers-$mode.db" $mode | sort
		"$W.native" "$T/writers-$mode.db" check)
	got_out=$(writers "$LIND_RUN" "$W.lind" /tmp/writers-$mode.db $mode | sort
		"$LIND_RUN" "$W.lind" /tmp/writers-$mode.db check)
	expect_eq "$WRITERS cages insert $ROWS rows each into one database at once ($mode)" \
		"$want_out" "$got_out"
done
awk '/retries/ { n += $3 } END { print "# SQLITE_BUSY retried " n + 0 " times" }' \
	"$T/writers.log"
grep -v retries "$T/writers.log" | diag
# sqlite's own tests run in testfixture, a Tcl interpreter that sources
# the test scripts from the host tree: not in a cage until host
# directories are bound (issue 6 item 4) and exec is served (issue 7).
echo "# sqlite's own make test: not run (testfixture needs host files and exec)"
