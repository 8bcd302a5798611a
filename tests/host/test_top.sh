#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test_top.sh - memtrace-reader --top as a person uses it: in a 160x40
# tmux pane, keys typed with send-keys, the screen read with capture-pane.
#
#  1. Replay (--top -i TRACE) of a trace the reader wrote (-w) from the
#     records of top-fixture (top_fixture.c: five processes of known
#     figures, 500 ms ticks): the header and every row's figures at the
#     paused tick (against the fixture's figures and against the CSV the
#     same reader writes from the trace), the row order under each sort
#     key (r w s f c), the name filter (/ alpha Enter, Esc), n and the
#     right arrow stepping one tick, space resuming and pausing, q ending
#     with status 0, the summary, and the terminal as it was (stty, no
#     alternate screen left).
#  2. Live (--top -D FAKE -w TRACE) against a fake module directory whose
#     cpu0 file grows while the view is on: the ticks appear as they are
#     written; a bad record's message waits until the terminal is
#     restored; q ends with status 0 and the trace holds every tick.
#     Ctrl-C (SIGINT) ends a replay with the terminal restored too, and
#     exit status 0 as q's; a trace without system records says "no
#     system rows" in the header and shows its processes.
#  3. --top with standard output not a terminal: exit 2.
#
# Screen captures are kept in build/screenshots/ (text, and PNG when
# ImageMagick is installed).  TAP output; exit 1 if a check failed.  Run by
# `make -C tests/host check` with MEMTRACE_READER and TOP_FIXTURE set;
# skipped (TAP SKIP) without tmux.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
R=${MEMTRACE_READER:-$here/memtrace-reader-san}
FIX=${TOP_FIXTURE:-$here/top-fixture}
shots=$top/build/screenshots

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux not installed (run scripts/deps)"
	exit 0
fi

w=$(mktemp -d "${TMPDIR:-/tmp}/memtrace-top-XXXXXX")
tm() { tmux -S "$w/tmux.sock" -f /dev/null "$@"; }
n=0
failed=0
cleanup() {
	tm kill-server 2>/dev/null
	if [ "$failed" = 0 ]; then rm -rf "$w"; else echo "# test files kept in $w"; fi
}
trap cleanup EXIT

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -f "$w/screen" ] && sed 's/^/#   /' "$w/screen"
}
# check DESC CMD...: one TAP line, from CMD's status
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# The pane $1 as text, in $w/screen.
cap() { tm capture-pane -p -t "$1" >"$w/screen"; }
# Wait (up to 10 s) until the pane $1 matches the extended regex $2.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		cap "$1"
		grep -Eq -- "$2" "$w/screen" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# The screen's rows (the lines from the column header to the first empty
# one), spaces squeezed.
rows() {
	awk '/^ *PID COMMAND/ { on = 1; next } on && /^ *$/ { exit } on' "$w/screen" |
		tr -s ' ' | sed 's/^ //'
}
# The command names of the rows, in order, on one line.
order() { rows | awk '{ printf "%s%s", s, $2; s = " " } END { print "" }'; }
# Wait (up to 10 s) until the rows of pane $1 are those of file $2.
wait_rows() {
	i=0
	while [ $i -lt 100 ]; do
		cap "$1"
		rows | cmp -s "$2" - && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# Wait (up to 10 s) until the rows of pane $1 are in the order $2: a
# capture can catch the terminal half redrawn.
wait_order() {
	i=0
	while [ $i -lt 100 ]; do
		cap "$1"
		[ "$(order)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# The tick the header shows.
shown_tick() { sed -n '1s/.*  tick \([0-9]*\) .*/\1/p' "$w/screen"; }
# Leading spaces as no-break spaces (convert -annotate drops leading spaces).
nbsp() { sed ':a; s/^\(\(\xc2\xa0\)*\) /\1\xc2\xa0/; ta'; }
# Keep the screen of pane $1 as build/screenshots/$2.txt (and .png).
keep() {
	mkdir -p "$shots"
	cap "$1"
	cp "$w/screen" "$shots/$2.txt"
	if [ -x /usr/bin/convert ] && /usr/bin/convert -version 2>/dev/null | grep -q ImageMagick; then
		# the column header in reverse video, as on the terminal
		/usr/bin/convert -size 1320x690 xc:'#1e1e1e' \
			-fill '#c8c8c8' -draw 'rectangle 4,53 1316,70' \
			-font DejaVu-Sans-Mono -pointsize 13 -fill '#e0e0e0' \
			-annotate +8+16 "$(sed 's/%/%%/g; 4s/.*//' "$w/screen")" \
			-fill '#1e1e1e' -annotate +8+67 "$(sed -n 4p "$w/screen" | nbsp)" \
			"$shots/$2.png" || echo "# $2.png: convert failed"
	fi
}

# ---- the trace -----------------------------------------------------------

"$FIX" new "$w/fake" 1 40 || exit 1
"$R" -D "$w/fake" -d 0.3 -w "$w/trace" -q 2>"$w/write.err" || { cat "$w/write.err"; exit 1; }
"$R" -i "$w/trace" -o "$w/trace.csv" -q 2>"$w/csv.err" || { cat "$w/csv.err"; exit 1; }

# ---- 3. not a terminal ---------------------------------------------------

"$R" --top -i "$w/trace" >"$w/notty.out" 2>"$w/notty.err"
rc=$?
check "--top with standard output not a terminal: exit 2" [ $rc = 2 ]
check "  and it says why" grep -q "standard output is not one" "$w/notty.err"
"$R" --top -i "$w/trace" -o - >"$w/notty.out" 2>"$w/notty.err"
check "--top -o -: exit 2 (the screen is standard output)" [ $? = 2 ]

# ---- 1. replay -----------------------------------------------------------

tm new-session -d -s replay -x 160 -y 40 \
	"cd '$w' && stty -g >stty.before; '$R' --top -i trace 2>replay.err; echo \$? >replay.rc; stty -g >stty.after; echo TOP-EXITED; sleep 600"
wait_for replay '  tick ([3-9]|[1-3][0-9]) '
tm send-keys -t replay space
check "space pauses the replay" wait_for replay 'PAUSED'
p=$(shown_tick)
check "the paused tick is at least 3 ($p)" [ "${p:-0}" -ge 3 ]
missed=0
[ "$p" -ge 10 ] && missed=2
check "header: tick, interval, records lost, ticks missed" \
	grep -Eq "^memtrace-reader --top \(replay\)  tick $p  interval 500 ms  records lost 0  ticks missed $missed  PAUSED" "$w/screen"
check "header: memory, swap and PSI from the system record" \
	grep -q "^MemTotal 16000000 kB  MemAvailable 8000000 kB (50.0%)  SwapTotal 4000000 kB  SwapFree 3000000 kB  PSI memory some 2.5% full 1.0%" "$w/screen"
check "header: sort RSS by default" grep -q "^sort: RSS  filter: (none)" "$w/screen"

# every figure of every row, as the fixture made them
cat >"$w/want" <<EOF
103 gamma $((210000 + p)) $((200000 + p)) 10000 0 0 5000 2.0 0.0 1.0
104 delta 90000 30000 30000 30000 4000 80000 50.0 6.0 120.0
101 alpha 70000 50000 20000 0 100 30000 10.0 0.0 5.0
102 beta 16000 10000 5000 1000 90000 12000 500.0 20.0 50.0
105 alphabet 2000 1000 1000 0 200 1500 0.0 0.0 0.0
EOF
check "rows by RSS: pid, comm, RSS, anon, file, shmem, swap, WSS, minflt/s, majflt/s, CPU %" \
	wait_rows replay "$w/want"
# RSS, anon, file, shmem and swap as the CSV has them at that tick
awk -F, -v t="$p" '$4 == t { print $5, $6, $8, $9, $10, $11, $12 }' "$w/trace.csv" | sort >"$w/csv.rows"
rows | awk '{ print $1, $2, $3, $4, $5, $6, $7 }' | sort >"$w/got.rows"
check "the memory figures equal the CSV's rows of tick $p" cmp -s "$w/csv.rows" "$w/got.rows"
check "  (the CSV has five rows at that tick)" [ "$(wc -l <"$w/csv.rows")" = 5 ]

# the sort keys
for ks in "w:WSS:delta alpha beta gamma alphabet" \
	"s:swap:beta delta alphabet alpha gamma" \
	"f:fault rate:beta delta alpha gamma alphabet" \
	"c:CPU:delta beta alpha gamma alphabet" \
	"r:RSS:gamma delta alpha beta alphabet"; do
	k=${ks%%:*}
	rest=${ks#*:}
	name=${rest%%:*}
	want=${rest#*:}
	tm send-keys -t replay "$k"
	check "key $k: header says sort: $name" wait_for replay "^sort: $name  "
	check "key $k: sorted by $name: $want" wait_order replay "$want"
done

# the name filter
tm send-keys -t replay / a l p h a
check "/ shows the filter being typed" wait_for replay '^filter \(Enter applies, Esc clears\): alpha_'
tm send-keys -t replay Enter
check "/alpha Enter: the header shows the filter" wait_for replay 'filter: alpha  '
check "/alpha Enter: only alpha and alphabet" wait_order replay "alpha alphabet"
check "  the footer counts them" grep -q "^2 of 5 processes" "$w/screen"
keep replay top-replay-filter
tm send-keys -t replay Escape
check "Esc clears the filter" wait_for replay 'filter: \(none\)'
check "  all five rows again" wait_order replay "gamma delta alpha beta alphabet"

# stepping while paused
tm send-keys -t replay n
check "n steps one tick: $((p + 1))" wait_for replay "  tick $((p + 1))  .*PAUSED"
check "  with that tick's figures (gamma's RSS $((210001 + p)))" \
	wait_for replay "^ +103 gamma +$((210001 + p)) "
tm send-keys -t replay Right
check "the right arrow steps one tick: $((p + 2))" wait_for replay "  tick $((p + 2))  .*PAUSED"
sleep 1.2
cap replay
check "paused, the tick stays $((p + 2))" [ "$(shown_tick)" = $((p + 2)) ]
keep replay top-replay
tm send-keys -t replay space
check "space resumes: the ticks go on" wait_for replay "  tick $((p + 3))  "
tm send-keys -t replay space
wait_for replay 'PAUSED'

# q
tm send-keys -t replay q
check "q ends the view" wait_for replay '^TOP-EXITED'
check "  exit status 0" [ "$(cat "$w/replay.rc")" = 0 ]
check "  the terminal's settings are restored (stty)" cmp -s "$w/stty.before" "$w/stty.after"
check "  the view is gone (no alternate screen left)" sh -c "! grep -q 'memtrace-reader --top' '$w/screen'"
check "  the summary follows on standard error" \
	grep -q "^memtrace-reader: 200 records from 5 processes in 40 ticks, 0 lost" "$w/replay.err"
check "  no sanitizer report" sh -c "! grep -Eq 'Sanitizer|runtime error' '$w/replay.err'"

# Ctrl-C (SIGINT): the view ends, the terminal is restored
tm new-session -d -s intr -x 160 -y 40 \
	"cd '$w' && stty -g >intr.before; '$R' --top -i trace 2>intr.err; echo \$? >intr.rc; stty -g >intr.after; echo TOP-EXITED; sleep 600"
wait_for intr '  tick [0-9]+ '
tm send-keys -t intr C-c
check "Ctrl-C ends the view" wait_for intr '^TOP-EXITED'
check "  the terminal's settings are restored" cmp -s "$w/intr.before" "$w/intr.after"
check "  the summary follows, no sanitizer report" \
	sh -c "grep -q '200 records from 5 processes' '$w/intr.err' && ! grep -Eq 'Sanitizer|runtime error' '$w/intr.err'"
check "  exit status 0, as q's" [ "$(cat "$w/intr.rc")" = 0 ]

# a trace without system records: the header says so
TOP_FIXTURE_NOSYS=1 "$FIX" new "$w/nosys" 1 4 || exit 1
"$R" -D "$w/nosys" -d 0.3 -w "$w/nosys.trace" -q 2>"$w/nosys.err" || { cat "$w/nosys.err"; exit 1; }
tm new-session -d -s nosys -x 160 -y 40 \
	"cd '$w' && '$R' --top -i nosys.trace 2>nosys.err; echo \$? >nosys.rc; echo TOP-EXITED; sleep 600"
check "no system records: the header's second line says so" wait_for nosys '^no system rows'
check "  and the processes are shown (gamma at tick 4)" wait_for nosys "^ +103 gamma +210004 "
tm send-keys -t nosys q
check "  q ends it" wait_for nosys '^TOP-EXITED'
check "  exit status 0" [ "$(cat "$w/nosys.rc")" = 0 ]

# ---- 2. live -------------------------------------------------------------

"$FIX" new "$w/live" 1 3 || exit 1
tm new-session -d -s live -x 160 -y 40 \
	"cd '$w' && stty -g >live.before; '$R' --top -D live -w live.trace; echo \$? >live.rc; stty -g >live.after; echo TOP-EXITED; sleep 600"
check "live: the ticks written show (tick 3)" wait_for live '^memtrace-reader --top  tick 3  interval 500 ms  records lost 0'
check "live: gamma's RSS at tick 3" wait_for live "^ +103 gamma +210003 "
# a bad record, then three more ticks, while the view is on (its message
# would be on the screen, standard error, if it were not queued)
printf 'JUNKJUNK' >>"$w/live/cpu0"
"$FIX" append "$w/live" 4 6
check "live: the appended ticks show (tick 6)" wait_for live '  tick 6  '
check "live: gamma's RSS at tick 6" wait_for live "^ +103 gamma +210006 "
check "live: the bad record's message is not on the screen" sh -c "! grep -q 'memtrace-reader:' '$w/screen'"
tm send-keys -t live c
check "live: key c sorts by CPU" wait_order live "delta beta alpha gamma alphabet"
keep live top-live
tm send-keys -t live q
check "live: q ends the session" wait_for live '^TOP-EXITED'
check "live: exit status 0" [ "$(cat "$w/live.rc")" = 0 ]
check "live: the terminal's settings are restored" cmp -s "$w/live.before" "$w/live.after"
# standard error is the terminal here: the messages come after the view
cp "$w/screen" "$w/live.err"
check "live: the queued message comes after the view, before the summary" \
	sh -c "grep -n 'memtrace-reader:' '$w/live.err' | head -1 | grep -q 'bad magic' && grep -q '30 records from 5 processes in 6 ticks' '$w/live.err'"
check "live: no sanitizer report" sh -c "! grep -Eq 'Sanitizer|runtime error' '$w/live.err'"
"$R" -i "$w/live.trace" -o "$w/live.csv" -q 2>/dev/null
check "live: the trace written beside the view holds every tick" \
	[ "$(awk -F, 'NR > 1 { print $4 }' "$w/live.csv" | sort -un | tr '\n' ' ')" = "1 2 3 4 5 6 " ]

echo "1..$n"
[ "$failed" = 0 ]
