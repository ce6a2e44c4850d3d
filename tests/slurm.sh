#!/bin/sh
# slurm.sh -- the sweep through a real Slurm: starts a single-node Slurm of its own (munged, slurmctld and
# slurmd on localhost, every file of theirs under WORK, ports of their own), submits `racksim sweep
# --emit slurm`'s job array and collect step with its submit.sh, waits for them, checks that Slurm ran
# each task (its slurm-JOB_TASK.out) and the collect step (its collect.out, all 4 points) and that
# sweep.csv is byte-identical to the same grid run locally. Where Slurm cannot start here (not root, packages
# missing, a daemon that does not come up) it says why and exits 77, which CTest reports as skipped.
# Stops only the daemons it started, by their process ids.
#   sh slurm.sh RACKSIM SOURCE WORK
set -u
racksim=$1
source=$2
work=$3
skip() {
  echo "SKIPPED: $*"
  exit 77
}
fail() {
  echo "FAILED: $*" >&2
  for log in "$work"/slurmctld.log "$work"/slurmd.log "$work"/munged.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "not root: slurmd and munged of their own need root (apt-get install slurm-wlm munge)"
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v $tool >/dev/null 2>&1 || skip "$tool not found (apt-get install slurm-wlm munge)"
done

rm -rf "$work"
mkdir -p "$work/spool" "$work/state" "$work/munge" || fail "cannot make $work"
chmod 755 "$work/munge"
# a Unix socket's path holds at most 107 bytes: a deep build directory gets its socket under /tmp
sockdir="$work/munge"
[ ${#sockdir} -le 80 ] || { sockdir=$(mktemp -d /tmp/racksim-munge.XXXXXX) && chmod 755 "$sockdir"; } ||
  fail "cannot make a directory for munge's socket"
pids=""
cleanup() {
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
  for pid in $pids; do
    kill "$pid" 2>/dev/null
  done
  for pid in $pids; do
    wait "$pid" 2>/dev/null
  done
  [ "$sockdir" = "$work/munge" ] || rm -rf "$sockdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# munge: a key and a socket of its own, so that no system munged is needed or touched
key="$work/munge/munge.key"
dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null && chmod 400 "$key" || fail "cannot write a munge key"
socket="$sockdir/munge.socket"
munged -F -f --key-file="$key" --socket="$socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munge/munged.seed" >"$work/munged.out" 2>&1 &
pids="$pids $!"

# ports of its own (another test run, or a system Slurm, may hold the defaults)
base=$((20000 + $$ % 20000))
node=$(hostname -s)
cpus=$(nproc)
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=racksim-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=racksim Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

i=0
until [ -S "$socket" ]; do
  i=$((i + 1))
  [ $i -le 50 ] || skip "munged did not start: $(tail -n 3 "$work/munged.log" 2>/dev/null)"
  sleep 0.2
done
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -N "$node" -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until scontrol show node "$node" 2>/dev/null | grep -q 'State=IDLE'; do
  i=$((i + 1))
  [ $i -le 60 ] || skip "Slurm did not come up in 30 s: $(tail -n 3 "$work/slurmctld.log" "$work/slurmd.log" 2>/dev/null | tr '\n' ' ')"
  sleep 0.5
done
echo "Slurm up: node $node, $cpus CPUs, slurmctld on port $base"

grid="--grid workloads.0.gpus=8,16 --grid workloads.0.max_bytes=1MiB,4MiB"
cd "$source" || fail "cannot enter $source"
# shellcheck disable=SC2086 # the grid's words split on purpose
"$racksim" sweep scenarios/quickstart.yaml $grid -j 2 -o "$work/local" >/dev/null || fail "the local sweep failed"
# shellcheck disable=SC2086
"$racksim" sweep scenarios/quickstart.yaml $grid -j 2 -o "$work/slurm" --emit slurm >/dev/null ||
  fail "racksim sweep --emit slurm failed"
ids=$(sh "$work/slurm/submit.sh") || fail "submit.sh failed: $ids"
array=$(echo "$ids" | head -n 1)
echo "submitted: array job $array, collect job $(echo "$ids" | tail -n 1)"
i=0
while squeue -h 2>/dev/null | grep -q .; do
  i=$((i + 1))
  [ $i -le 600 ] || fail "the Slurm jobs did not end in 300 s: $(squeue 2>&1)"
  sleep 0.5
done

n=0
for task in 1 2 3 4; do
  [ -f "$work/slurm/slurm-${array}_$task.out" ] || fail "no slurm-${array}_$task.out: Slurm did not run task $task"
  n=$((n + 1))
done
[ -f "$work/slurm/collect.out" ] || fail "no collect.out: the collect step did not run under Slurm"
grep -q "4 of 4 points" "$work/slurm/collect.out" || fail "the collect step: $(cat "$work/slurm/collect.out")"
for p in p0001 p0002 p0003 p0004; do
  [ -f "$work/slurm/$p/run.yaml" ] || fail "point $p has no run.yaml"
done
cmp "$work/local/sweep.csv" "$work/slurm/sweep.csv" || fail "sweep.csv differs between the local run and Slurm"
echo "Slurm ran the $n array tasks and the collect step; sweep.csv byte-identical to the local run"
