#!/bin/bash
# lind-trace grown up (issue 11): the relay publishes only what some tracer
# selects (an unselected cage's calls never reach any tracer), tracers with
# different filters coexist, -e narrows calls, a capture read back shows
# what the live feed showed, -c and --json read it too, a full disk stops
# the capture and not the cages, and recorded traffic decodes to its golden
# output (tests/data/trace-golden.*).
. "$(dirname "$0")/lib.sh"
build_tool
start_daemons || exit 1
events() { "$LIND_TRACE" --stats | sed -n 's/^events //p'; }
ring_replies() { "$LIND_TRACE" --stats | sed -n 's/^ring-replies //p'; }
attached() { grep -q attached "$1" 2>/dev/null; }
stop_tracer() { kill -INT "$1"; wait "$1"; }

# 1. a tracer of a cage that does not exist: the relay publishes nothing
# for the cage that runs (only its once-a-second "trace on" notes)
"$LIND_TRACE" -p 999999 >"$T/none.out" 2>"$T/none.err" & none=$!
check "a filtered tracer attaches" wait_for 10 attached "$T/none.err"
r0=$(ring_replies)
expect_eq "a cage makes 1 call" "looped 1" "$(cage loop 1 /)"
before=$(events)
rbefore=$(ring_replies)
expect_eq "the cage makes its 500 calls" "looped 500" "$(cage loop 500 /)"
after=$(events)
rafter=$(ring_replies)
check "the relay published no call of the unselected cage ($before -> $after)" \
	test $((after - before)) -lt 10
# untraced, they were answered straight into their slots by the server
# (architecture.md "Hand-offs per call"): the relay routed the same few
# replies as for 1 call (those carrying an fd: the loader's file
# mappings; the exit's: its channel is unmapped by then)
check "the relay routed no reply of the 499 more ($r0 -> $rbefore -> $rafter)" \
	test $(((rafter - rbefore) - (rbefore - r0))) -lt 3
stop_tracer $none
expect_eq "the filtered tracer shows nothing" "" "$(cat "$T/none.out")"

# 2. three tracers at once: everything, failed file calls, a capture
"$LIND_TRACE" >"$T/all.out" 2>"$T/all.err" & all=$!
"$LIND_TRACE" -e trace=file -e status=failed >"$T/failed.out" \
	2>"$T/failed.err" & failed=$!
"$LIND_TRACE" -w "$T/cap.ltr" 2>"$T/cap.err" & cap=$!
"$LIND_TRACE" -y -e trace=write >"$T/y.out" 2>"$T/y.err" & y=$!
for f in all failed cap y; do
	check "tracer $f attaches" wait_for 10 attached "$T/$f.err"
done
rbefore=$(ring_replies)
cage probe /nope >/dev/null
cage write /tmp/traced hi >/dev/null
rafter=$(ring_replies)
check "traced calls' replies come through the relay ($rbefore -> $rafter)" \
	test $((rafter - rbefore)) -ge 10
sleep 0.5
st=
for p in $all $failed $cap $y; do stop_tracer $p; st="$st$?"; done
expect_eq "four tracers interrupted exit 0 (no leak under ASan)" 0000 "$st"
check "the full tracer: strace's errno message" \
	grep -Eq 'open(at)?\(.*"/nope".*\) = -1 ENOENT \(No such file or directory\)$' \
	"$T/all.out"
check "the full tracer: the write" grep -Eq 'write\(3, "hi", 2\) = 2$' "$T/all.out"
check "-y -e trace=write: the fd with the path its open (not shown) gave" \
	grep -Eq '^\[cage [0-9]+\] write\(3</tmp/traced>, "hi", 2\) = 2$' "$T/y.out"
expect_eq "... and only writes" "" "$(grep -v -e '+++' -e '] write(' "$T/y.out")"
check "-e trace=file -e status=failed: the failed open" \
	grep -Eq 'open(at)?\(.*"/nope"' "$T/failed.out"
expect_eq "... and no call that succeeded nor one of desc" "" \
	"$(grep -v -e '+++' -e ' = -1 ' "$T/failed.out"; grep -E '^\[cage [0-9]+\] (write|close)\(' "$T/failed.out")"

# 2b. tracers that left stop costing cages at once (TRACE_OFF), though
# another tracer keeps the feed on: a cage started right after they left
# was once selected by their filters for 3 s and traced for its whole life
"$LIND_TRACE" -p 999999 2>"$T/keep.err" & keep=$!
check "a filtered tracer attaches after the four left" wait_for 10 attached "$T/keep.err"
before=$(events)
expect_eq "a cage makes its 500 calls" "looped 500" "$(cage loop 500 /)"
after=$(events)
check "... and none was published for the tracers gone ($before -> $after)" \
	test $((after - before)) -lt 10
stop_tracer $keep

# 3. the capture read back is what the live tracer printed
"$LIND_TRACE" --read "$T/cap.ltr" >"$T/replay.out"
expect_eq "--read exits 0" 0 $?
grep -v '+++ trace on' "$T/all.out" >"$T/all.calls"
if diff "$T/all.calls" "$T/replay.out" >"$T/replay.diff"; then
	ok "the capture replays as the live lines"
else
	not_ok "the capture replays as the live lines"; diag "$T/replay.diff"
fi
check "-c from the capture: strace's table with the write" \
	grep -Eq '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ +1 +write$' \
	<("$LIND_TRACE" --read "$T/cap.ltr" -c)
"$LIND_TRACE" --read "$T/cap.ltr" --json >"$T/cap.json"
expect_eq "--json: one object per event" "$(wc -l <"$T/replay.out")" \
	"$(grep -c '^{"v":1,"type":"\(call\|note\)","cage":[0-9]*,' "$T/cap.json")"
if command -v python3 >/dev/null; then
	check "--json: each line parses" python3 -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$T/cap.json"
fi
expect_eq "-p on a capture: only that cage" "" "$("$LIND_TRACE" --read \
	"$T/cap.ltr" -p 999999)"
printf 'LINDTRC\n\002\000\020\000\000\000\000\000' >"$T/v2.ltr"
expect_eq "a capture of another version is refused" 1 \
	"$("$LIND_TRACE" --read "$T/v2.ltr" 2>/dev/null; echo $?)"

# 3b. -s N past the 48 bytes the relay carries by default: the tracer asks
# for N + 1, so N show and "..." says there was more; another tracer with
# the default at the same time still shows strace's 32
long=$(printf 'x%.0s' $(seq 150))
"$LIND_TRACE" -s 100 -e trace=write >"$T/s100.out" 2>"$T/s100.err" & s100=$!
"$LIND_TRACE" -e trace=write >"$T/s32.out" 2>"$T/s32.err" & s32=$!
check "a -s 100 tracer attaches" wait_for 10 attached "$T/s100.err"
check "... beside a default one" wait_for 10 attached "$T/s32.err"
cage write /tmp/long "$long" >/dev/null
sleep 0.5
stop_tracer $s100
stop_tracer $s32
check "-s 100: a 150-byte write shows 100 bytes and ..." \
	grep -Eq "write\(3, \"${long:0:100}\"\.\.\., 150\) = 150$" "$T/s100.out"
check "... the default tracer 32" \
	grep -Eq "write\(3, \"${long:0:32}\"\.\.\., 150\) = 150$" "$T/s32.out"

# 3c. -y for fds a cage opened before the tracer came: the server tells
mkfifo "$T/hold.in"
cage holdopen /tmp/held <"$T/hold.in" >"$T/hold.out" & held=$!
exec 7>"$T/hold.in"
check "a cage holds a file open" wait_for 10 grep -q ready "$T/hold.out"
"$LIND_TRACE" -y >"$T/ypre.out" 2>"$T/ypre.err" & ypre=$!
check "a -y tracer attaches after it" wait_for 10 attached "$T/ypre.err"
check "... and hears what it has open from the server" wait_for 10 \
	grep -Eq '\] \+\+\+ open fds: 0<[^>]+> 1<[^>]+> 2<[^>]+> 3</tmp/held \(deleted\)> \+\+\+$' "$T/ypre.out"
echo x >&7
exec 7>&-
wait $held
sleep 0.5
stop_tracer $ypre
check "... and shows a later write to its stdout with the path" \
	grep -Eq '\] write\(1<host:\[[0-9]+\]>, "read returned 1\\n", 16\) = 16$' "$T/ypre.out"

# 4. a disk that refuses a write stops the capture, with one line, and not
# the cages: full at once (/dev/full), or in the middle (a file size limit)
expect_eq "a capture to a full disk: status 1, one line" "1 1" \
	"$("$LIND_TRACE" -w /dev/full 2>"$T/full.err"; echo "$? $(wc -l <"$T/full.err")")"
check "... saying why" grep -q 'capture to /dev/full stopped: No space left on device' "$T/full.err"
(ulimit -f 16; exec "$LIND_TRACE" -w "$T/big.ltr") 2>"$T/big.err" & big=$!
check "a capture under a file size limit attaches" wait_for 10 attached "$T/big.err"
expect_eq "the cage runs on past the limit" "looped 500" "$(cage loop 500 /)"
wait $big
expect_eq "the capture stops with status 1" 1 $?
expect_eq "... saying so once" 1 "$(grep -c "capture to $T/big.ltr stopped: File too large" "$T/big.err")"
check "what it captured reads back" grep -q 'attached: .*cagetool.lind loop 500' \
	<("$LIND_TRACE" --read "$T/big.ltr" 2>/dev/null)
expect_eq "the relay serves on" "looped 5" "$(cage loop 5 /)"

# 4b. a tracer that cannot keep up (stopped here, while another keeps
# the feed on) is not waited for: the cage runs on, and the tracer says
# how many events it lost (it sees the gap at the next batch it takes:
# the relay's "trace on" note within a second)
"$LIND_TRACE" -c -o "$T/keeper.out" 2>"$T/keeper.err" & keeper=$!
"$LIND_TRACE" -c -o "$T/slow.out" 2>"$T/slow.err" & slow=$!
check "two tracers attach, one stops" wait_for 10 attached "$T/slow.err"
check "... the other keeps on" wait_for 10 attached "$T/keeper.err"
kill -STOP $slow
expect_eq "a cage makes 100000 calls meanwhile" "looped 100000" \
	"$(cage loop 100000 /)"
kill -CONT $slow
sleep 1.5
stop_tracer $slow
expect_eq "the stopped tracer exits 0" 0 $?
check "... saying how many events it lost" \
	grep -Eq '^lind-trace: lost [1-9][0-9]* events' "$T/slow.err"
stop_tracer $keeper
expect_eq "a tracer that kept up lost none" "" "$(grep lost "$T/all.err")"

# 5. --top: frames of the attached cages: one parked in a read of its
# stdin (with the relay's argv, though it attached before the tracer),
# one busy; then exit
(sleep 6 | cage readstdin >/dev/null) & parked=$!
sleep 1
"$LIND_TRACE" --top --iterations 3 >"$T/top.out" 2>/dev/null & top=$!
"$LIND_RUN" "$TOOL" loop 1000000000 / >/dev/null & busy=$!
wait $top
expect_eq "--top --iterations 3 exits 0" 0 $?
kill $busy
wait $parked $busy
expect_eq "--top drew three frames" 3 "$(grep -c 'lind-trace --top:' "$T/top.out")"
check "--top: the parked cage, its argv from the relay" \
	grep -Eq '^ +[0-9]+ +[0-9]+ +[0-9]+ +1 +[0-9]+  .*cagetool.lind readstdin$' "$T/top.out"
check "--top: the busy cage with its rate" \
	grep -Eq '^ +[0-9]+ +[1-9][0-9]* +[0-9]+ +[01] +[0-9]+  .*cagetool.lind loop 1000000000 /$' "$T/top.out"

# 6. golden output of recorded traffic, every call class (see the .sh
# header of tests/data/trace-golden.txt for how it was recorded)
G="$LIND_SRC/tests/data/trace-golden"
if "$LIND_TRACE" --read "$G.ltr" -s 16 | diff "$G.txt" - >"$T/golden.diff"; then
	ok "recorded traffic decodes to its golden lines"
else
	not_ok "recorded traffic decodes to its golden lines"; diag "$T/golden.diff"
fi
# the classes the first leaves out: net (unserved, and refused by policy),
# exec, proc, signal, ipc, time, system, creds (life_cage tree and shm,
# policy_cage net, unserved and refusal, cagetool sleep 1)
if "$LIND_TRACE" --read "${G}2.ltr" | diff "${G}2.txt" - >"$T/golden2.diff"; then
	ok "recorded traffic of every other class decodes to its golden lines"
else
	not_ok "recorded traffic of every other class decodes to its golden lines"
	diag "$T/golden2.diff"
fi
for c in file desc net proc exec signal memory ipc time creds system write; do
	n=$("$LIND_TRACE" --read "$G.ltr" -e trace=%$c | grep -vc '+++')
	n2=$("$LIND_TRACE" --read "${G}2.ltr" -e trace=%$c | grep -vc '+++')
	check "the recorded traffic has calls of class $c" test $((n + n2)) -gt 0
done
if "$LIND_TRACE" --read "$G.ltr" -c | diff "$G-c.txt" - >"$T/golden-c.diff"; then
	ok "... and its -c tables, per cage and for all"
else
	not_ok "... and its -c tables, per cage and for all"; diag "$T/golden-c.diff"
fi
expect_eq "-e trace=%write: changes, and the open that writes, not those that read" \
	'mkdir("/tmp/d", 0755) = 0|open("/tmp/d/f", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3' \
	"$("$LIND_TRACE" --read "$G.ltr" -e trace=%write | grep -v '+++' |
		sed 's/^\[cage [0-9]*\] //' | paste -sd'|')"
if "$LIND_TRACE" --read "$G.ltr" -y -e trace=read,write,close,dup2 \
	-e status=successful -s 8 | diff "$G-y.txt" - >"$T/golden-y.diff"; then
	ok "... and with -y, -e trace=, -e status=, -s 8"
else
	not_ok "... and with -y, -e trace=, -e status=, -s 8"; diag "$T/golden-y.diff"
fi

# 6b. the showing options on the same recorded traffic: -t/-tt/-ttt, -r,
# -x/-xx, -e signal=, -o (times in UTC: the capture keeps wall ns)
first() { TZ=UTC "$LIND_TRACE" --read "$G.ltr" "$@" | sed -n 2p; }
expect_eq "-ttt: seconds since the epoch" "[cage 2] 1796128276.949935 access" \
	"$(first -ttt | cut -d'(' -f1)"
expect_eq "-tt: time of day, microseconds" "[cage 2] 12:31:16.949935 access" \
	"$(first -tt | cut -d'(' -f1)"
expect_eq "-t: time of day" "[cage 2] 12:31:16 access" "$(first -t | cut -d'(' -f1)"
expect_eq "-r: time since the previous line" "[cage 2]      0.000734 access" \
	"$(first -r | cut -d'(' -f1)"
expect_eq "-xx: every byte of a string in hex" \
	'[cage 2] access("\x2f\x65\x74\x63\x2f\x6c\x64\x2e\x73\x6f\x2e\x70\x72\x65\x6c\x6f\x61\x64", R_OK)' \
	"$(first -xx | cut -d' ' -f1-4)"
expect_eq "-x: non-printable bytes in hex, printable ones as they are" \
	"0 36" "$("$LIND_TRACE" --read "$G.ltr" | grep -c '\\x') $("$LIND_TRACE" \
	--read "$G.ltr" -x | grep -c '\\x')"
sigs() { "$LIND_TRACE" --read "${G}2.ltr" "$@" | grep -c -- '--- SIG'; }
expect_eq "-e signal=: those signals' lines only" "4 3 1 0" \
	"$(sigs) $(sigs -e signal=SIGCHLD) $(sigs -e signal=KILL) $(sigs -e signal=SIGUSR1)"
expect_eq "-e signal= of no signal: one line, exit 2" "2" \
	"$("$LIND_TRACE" --read "${G}2.ltr" -e signal=bogus 2>/dev/null; echo $?)"
"$LIND_TRACE" --read "$G.ltr" -o "$T/golden.o" >"$T/golden.stdout"
expect_eq "-o: the lines in the file, none on stdout" \
	"$(wc -l <"$G.txt") 0" "$(wc -l <"$T/golden.o") $(wc -l <"$T/golden.stdout")"

# 7. -p with -f at the relay: the descendants of a cage, as they are born,
# and nothing of them without -f.  Ids go up by one per cage: the tree's
# top is the next one after a cage the full tracer saw.
LC="$T/bin/life_cage.lind"
"$LIND_CC" -std=gnu11 -O1 -o "$LC" \
	"$LIND_SRC/tests/integration/progs/life_cage.c" 2>"$T/life.err" ||
	diag "$T/life.err"
# its exec'd child runs it again from the virtual filesystem
"$LIND_BUILD/lind-fs" cp "$LC" :/tmp/lc
"$LIND_TRACE" >"$T/full.out" 2>"$T/full.err" & all=$!
check "the full tracer attaches" wait_for 10 attached "$T/full.err"
cage id >/dev/null
last=$(sed -n 's/^\[cage \([0-9]*\)\] +++ attached: .*cagetool.lind id.*/\1/p' "$T/full.out")
top=$((last + 1))
"$LIND_TRACE" -p $top -f >"$T/f.out" 2>"$T/f.err" & f=$!
"$LIND_TRACE" -p $top >"$T/nof.out" 2>"$T/nof.err" & nof=$!
"$LIND_TRACE" --cage-cmd 'life_cage[.]lind tree' -e trace=none \
	>"$T/cmd.out" 2>"$T/cmd.err" & cmd=$!
"$LIND_TRACE" --cage-cmd '^lc exit 3$' >"$T/exec.out" 2>"$T/exec.err" & ex=$!
for x in f nof cmd exec; do check "tracer $x attaches" wait_for 10 attached "$T/$x.err"; done
"$LIND_RUN" "$LC" tree /tmp/lc >/dev/null 2>&1
cage loop 20 / >/dev/null
sleep 0.5
for p in $all $f $nof $cmd $ex; do stop_tracer $p; done
if grep -q "^\[cage $top\] +++ attached: .*life_cage.lind tree" "$T/full.out"; then
	kids=$(sed -n "s/^\[cage \([0-9]*\)\] +++ forked by cage $top +++/\1/p" "$T/full.out")
	expect_eq "-p TOP -f: its three children's births" 3 \
		"$(grep -c "+++ forked by cage $top +++" "$T/f.out")"
	expect_eq "-p TOP -f: every line is of the tree" "" \
		"$(grep -v -E "^\[cage ($top|$(echo $kids | tr ' ' '|'))\] " "$T/f.out")"
	expect_eq "-p TOP -f: the exec'd child's end" 1 \
		"$(grep -c '+++ exited with 3 +++' "$T/f.out")"
	expect_eq "-p TOP alone: only the top" "" \
		"$(grep -v "^\[cage $top\] " "$T/nof.out")"
	check "-p TOP alone: its calls" grep -q "^\[cage $top\] lind_fork(" "$T/nof.out"
	expect_eq "--cage-cmd: the tree (children have its argv), its notes only" \
		"4 attached/forked, 0 calls" \
		"$(grep -c -e '+++ attached' -e '+++ forked' "$T/cmd.out") attached/forked, $(grep -v -c -e '+++' -e '^\[cage [0-9]*\] --- SIG' "$T/cmd.out") calls"
	check "a signal line: --- SIGCHLD --- to the tree's top" \
		grep -qx "\[cage $top\] --- SIGCHLD ---" "$T/cmd.out"
	expect_eq "--cage-cmd matches the argv a cage execs: its calls from there, its end" \
		"+++ exited with 3 +++|exit_group(3) = 0" \
		"$(sed -n 's/^\[cage [0-9]*\] \(exit_group(3) = 0\|+++ exited with 3 +++\)$/\1/p' "$T/exec.out" | LC_ALL=C sort | paste -sd'|')"
	expect_eq "... and nothing from before its exec" "" \
		"$(grep -e 'execve(' -e '+++ forked' "$T/exec.out")"
else
	ok "-p -f # SKIP the tree did not get the next id (another cage ran)"
fi
