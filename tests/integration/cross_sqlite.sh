#!/bin/bash
# sqlite3 from its Debian source (docs/building.md), configured with
# --host=x86_64-lind-linux-gnu out of the cached tree, built and run as a
# cage: SQL in memory and in a file of the virtual filesystem, compared
# with Debian's own build of the same source.  File databases need the
# unix-none VFS: record locks (fcntl F_SETLK) are not served yet.
. "$(dirname "$0")/lib.sh"
. "$LIND_SRC/tests/integration/cross-lib.sh"

if ! src=$(fetch_src sqlite3); then
	ok "sqlite3 # SKIP $(cat "$T/fetch.err")"
	exit 0
fi
S=$T/sqlite
mkdir -p "$S"
cd "$S" || exit 1
# sqlite 3.40 links lemon, a tool run during the build, with the target
# compiler: cross-compiled, it would run as a cage that cannot see the
# grammar in the build tree.  Built first with the build compiler, as
# later sqlite releases do themselves.
if "$src/configure" -q $CROSS_ARGS --disable-shared --disable-tcl \
	--disable-readline --disable-editline LDFLAGS="$CAGE_LDFLAGS" >"$T/sqlite.build" 2>&1 &&
	${CC:-cc} -O2 -o lemon "$src/tool/lemon.c" && cp "$src/tool/lempar.c" . &&
	make -j2 sqlite3 >>"$T/sqlite.build" 2>&1; then
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

# A file database: the default VFS takes fcntl record locks, which the
# server serves; unix-none takes none.
expect_eq "a file database with the default VFS (record locks): as natively" \
	"$native_file" \
	"$("$LIND_RUN" "$S/sqlite3" /tmp/locked.db <"$T/q.sql" 2>&1; echo "status $?")"
expect_eq "a file database with -vfs unix-none: as natively" "$native_file" \
	"$("$LIND_RUN" "$S/sqlite3" -vfs unix-none /tmp/t.db <"$T/q.sql" 2>&1; echo "status $?")"
expect_eq "... and it persists to the next cage" "5003" \
	"$("$LIND_RUN" "$S/sqlite3" -vfs unix-none -readonly /tmp/t.db "select count(*) from t")"
check "... in the virtual filesystem, not on the host" test ! -e /tmp/t.db
# sqlite's own tests run in testfixture, a Tcl interpreter that sources
# the test scripts from the host tree: not in a cage until host
# directories are bound (issue 6 item 4) and exec is served (issue 7).
echo "# sqlite's own make test: not run (testfixture needs host files and exec)"
