#!/bin/sh
# A real scheduler: Slurm (slurmctld, slurmd and munge from Debian's
# slurm-wlm) configured and started on localhost by this test, runs a job
# array of 4 tasks of `haul --shard auto`, then a job that depends on it
# (afterok) checks the file. Skipped -- saying why -- only when the daemons
# are not installed or cannot start here (not root, no munge).
. "$HAUL_SRCDIR/tests/lib/common.sh"

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip_all "Slurm's daemons need root here"
for d in munged slurmctld slurmd sbatch squeue sinfo; do
	command -v $d >/dev/null 2>&1 || skip_all "$d is not installed (apt-get install slurm-wlm munge)"
done

mkdir -p "$T/root" "$T/out" "$T/slurm/state" "$T/slurm/spool" "$T/munge"
chmod 755 "$T" "$T/out" "$T/slurm" "$T/slurm/state" "$T/slurm/spool"
size=33554432
mkdata "$T/root/f.bin" $size
origin_start "$T/root"

# munge: a key of this test's own, its own socket.
dd if=/dev/urandom of="$T/munge/key" bs=1024 count=1 2>/dev/null
chmod 700 "$T/munge"
chmod 400 "$T/munge/key"
munged --force --key-file="$T/munge/key" --socket="$T/munge/sock" \
	--pid-file="$T/munge/pid" --log-file="$T/munge/log" --seed-file="$T/munge/seed" \
	2>"$T/munge/err" || skip_all "munged does not start: $(head -c 200 "$T/munge/err")"
MUNGE_PID=$(cat "$T/munge/pid" 2>/dev/null)

# Free ports for slurmctld and slurmd.
free_port() {
	"$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
host=$(hostname -s)
cat >"$T/slurm/slurm.conf" <<EOF
ClusterName=hault
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/sock
CredType=cred/munge
StateSaveLocation=$T/slurm/state
SlurmdSpoolDir=$T/slurm/spool
SlurmctldPidFile=$T/slurm/slurmctld.pid
SlurmdPidFile=$T/slurm/slurmd.pid
SlurmctldLogFile=$T/slurm/slurmctld.log
SlurmdLogFile=$T/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=t Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF="$T/slurm/slurm.conf"
stop_slurm() {
	for f in "$T/slurm/slurmd.pid" "$T/slurm/slurmctld.pid"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "$MUNGE_PID" ] && kill "$MUNGE_PID" 2>/dev/null
}
trap 'stop_slurm; cleanup' EXIT

slurmctld -i 2>"$T/slurm/ctld.err" || true
slurmd 2>"$T/slurm/d.err" || true
i=0
until sinfo -h -o '%T' 2>/dev/null | grep -q 'idle'; do
	i=$((i + 1))
	if [ $i -gt 60 ]; then
		diag "slurmctld: $(tail -n 3 "$T/slurm/slurmctld.log" 2>/dev/null)"
		diag "slurmd: $(tail -n 3 "$T/slurm/slurmd.log" 2>/dev/null)"
		skip_all "the Slurm daemons did not come up in 30 s: $(cat "$T/slurm/ctld.err" "$T/slurm/d.err" | head -c 300)"
	fi
	sleep 0.5
done
ok 0 "Slurm is up on localhost ($(sinfo -h -o '%P %D %T' | head -n 1))"

# The array: 4 tasks of haul --shard auto; then a check that waits for all
# of them to end well.
url="$ORIGIN/f.bin?rate=2097152"
array=$(sbatch --parsable --array=0-3 -o "$T/out/task-%a.log" \
	--wrap "exec $HAUL -q -n 2 --shard auto -o $T/out/f '$url'")
is "$?" 0 "sbatch --array=0-3 of haul --shard auto: job $array"
check=$(sbatch --parsable --dependency=afterok:"${array%%;*}" -o "$T/out/check.log" \
	--wrap "cmp $T/out/f $T/root/f.bin && $HAUL status $T/out/f && echo verified")
is "$?" 0 "sbatch --dependency=afterok:$array of the check: job $check"
i=0
while squeue -h 2>/dev/null | grep -q .; do
	i=$((i + 1))
	if [ $i -gt 240 ]; then
		diag "still queued: $(squeue -h | head -n 5)"
		break
	fi
	sleep 0.5
done
is "$(squeue -h | wc -l)" 0 "... every job has ended (in $((i / 2)) s)"
grep -q '^verified$' "$T/out/check.log"
ok $? "... the dependent job found the file byte-identical: $(tail -n 2 "$T/out/check.log" | tr '\n' ' ')"
same "$T/out/f" "$T/root/f.bin" "... and so does this test"
for k in 0 1 2 3; do
	served=$(grep '"method":"GET"' "$ORIGIN_LOG" |
		sed -n 's/.*"range":"bytes=\([0-9]*\)-\([0-9]*\)".*"bytes":\([0-9]*\).*/\1 \3/p' |
		awk -v lo=$((k * size / 4)) -v hi=$(((k + 1) * size / 4)) \
			'$1 >= lo && $1 < hi { s += $2 } END { print s + 0 }')
	is "$served" $((size / 4)) "... array task $k fetched its quarter, bytes $((k * size / 4))-"
done
ls "$T/out" | grep -q 'shard'
ok $((! $?)) "... no shard journal or lock is left"

tap_done
