#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: choosing processes by cgroup.  The cgroups control file takes
# "+PATH" / "-PATH" / "clear" with the errors of the other filters (ENOENT,
# ENOTDIR, EINVAL, ENOSPC, nothing changed on error); memtrace-reader
# --cgroup /sys/fs/cgroup/a samples exactly the processes in a and below it,
# including one started in a/b after the session began, and none in c or
# the root; its cgroup_id is a/b's inode number.  Ground truth: cgroupfs
# (cgroup.procs, the directories' inode numbers).  The filter set before
# the session is back after it.
. /extra/vm/lib.sh

CG=/sys/fs/cgroup
[ -f $CG/cgroup.controllers ] || mount -t cgroup2 none $CG ||
	{ fail "mount cgroup2"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
mkdir -p $CG/a/b $CG/c

# write_err FILE VALUE: the error text of writing VALUE (empty on success)
write_err() { (echo -n "$2" > "$1") 2>&1 | sed 's/.*: //'; }

# --- the control file -------------------------------------------------------
check_eq "cgroups empty at load" "$(cat $MT/cgroups)" ""
for v in "+" "-" "a" "/a" "+/a
/c" "$(printf '+/%0300d' 0)"; do
	check_eq "cgroups '$(echo "$v" | head -c 20)' -> EINVAL" \
		"$(write_err $MT/cgroups "$v")" "Invalid argument"
done
check_eq "cgroups +/nosuch -> ENOENT" "$(write_err $MT/cgroups +/nosuch)" \
	"No such file or directory"
check_eq "cgroups +/a/cgroup.procs (a file) -> ENOTDIR" \
	"$(write_err $MT/cgroups +/a/cgroup.procs)" "Not a directory"
check_eq "cgroups -/c (not registered) -> ENOENT" "$(write_err $MT/cgroups -/c)" \
	"No such file or directory"
check_eq "cgroups still empty after the errors" "$(cat $MT/cgroups)" ""
check_eq "cgroups +/c accepted" "$(write_err $MT/cgroups +/c)" ""
check_eq "cgroups +c (no leading slash) is the same cgroup" "$(write_err $MT/cgroups +c)" ""
check_eq "cgroups lists /c once" "$(cat $MT/cgroups)" "/c"
i=0
while [ $i -lt 15 ]; do mkdir -p $CG/f$i; echo "+/f$i" > $MT/cgroups; i=$((i + 1)); done
mkdir -p $CG/f15
check_eq "cgroups: a 17th -> ENOSPC" "$(write_err $MT/cgroups +/f15)" "No space left on device"
check_eq "cgroups holds 16" "$(wc -l < $MT/cgroups)" 16
i=0
while [ $i -lt 15 ]; do echo "-/f$i" > $MT/cgroups; i=$((i + 1)); done
check_eq "cgroups -PATH removes: /c left" "$(cat $MT/cgroups)" "/c"
check_eq "clear on pids empties cgroups too" "$(write_err $MT/pids clear)" ""
check_eq "cgroups empty after clear" "$(cat $MT/cgroups)" ""
echo +/c > $MT/cgroups

# --- a session with --cgroup --------------------------------------------------
# in_cgroup DIR CMD...: run CMD in cgroup DIR (background), its pid in $!
in_cgroup() { d=$1; shift; sh -c "echo \$\$ > $d/cgroup.procs && exec $*" & }
in_cgroup $CG/a sleep 1000
pa=$!
in_cgroup $CG/c sleep 1000
pc=$!
sleep 1000 &
proot=$!
T_PIDS="$T_PIDS $pa $pc $proot"
memtrace-reader --cgroup $CG/a -I 50 -d 3 -o /tmp/g.csv 2> /tmp/g.err &
rpid=$!
reader_ready $rpid || fail "reader ready"
check_eq "during the session: the module's cgroups is the session's" "$(cat $MT/cgroups)" "/a"
sleep 0.5
in_cgroup $CG/a/b sleep 1000
pb=$!
T_PIDS="$T_PIDS $pb"
wait $rpid
check_eq "reader exits 0" "$?" 0
diag "$(head -3 /tmp/g.err)"
has() { awk -F, -v p="$1" -v c="$(csv_col /tmp/g.csv pid)" 'NR > 1 && $c == p { n++ } END { print n + 0 }' /tmp/g.csv; }
check "the process in a is sampled ($(has $pa) records)" [ "$(has $pa)" -gt 10 ]
check "the process started in a/b later is sampled ($(has $pb) records)" [ "$(has $pb)" -gt 5 ]
check_eq "the process in c is not sampled" "$(has $pc)" 0
check_eq "the process in the root is not sampled" "$(has $proot)" 0
others=$(awk -F, -v c="$(csv_col /tmp/g.csv pid)" -v a=$pa -v b=$pb \
	'NR > 1 && $c != a && $c != b { print $c }' /tmp/g.csv | sort -u | tr '\n' ' ')
check_eq "no other process is sampled" "$others" ""
check_eq "cgroup_id of the a/b process = inode of a/b" "$(csv_last /tmp/g.csv $pb cgroup_id)" \
	"$(stat -c %i $CG/a/b)"
check_eq "after the session: the cgroups filter set before is back" "$(cat $MT/cgroups)" "/c"
check_eq "reader --cgroup of a missing cgroup: exit 1" \
	"$(memtrace-reader --cgroup /nosuch -d 1 -o /dev/null 2> /tmp/n.err; echo $?)" 1
check "it names the cgroup" grep -q "no cgroup v2 directory /sys/fs/cgroup/nosuch" /tmp/n.err
diag "$(cat /tmp/n.err)"
echo clear > $MT/pids
kill $pa $pb $pc $proot 2> /dev/null
wait 2> /dev/null
rmmod memtrace
finish
