#!/usr/bin/env bash
# The Slurm path on a real single-node Slurm (slurmctld + slurmd on this host, munge auth): submits the smoke
# suite as pretrain -> 2-task array job -> merge with harness/orchestration/cluster/slurm/submit.sh, waits, and checks that
# the merged store holds every smoke cell completed. Needs root (it starts the daemons) and Debian's
# slurm-wlm + munge (installed if missing). Not part of `npm test`. Usage: bash test/cluster/slurm-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=$(mktemp -d /tmp/rftbench-slurm-XXXX)
export DEBIAN_FRONTEND=noninteractive
command -v slurmctld >/dev/null || { apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null; }

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
  echo "a Slurm daemon already runs here; this test starts its own private cluster: run it on a machine without one" >&2
  exit 2
fi
# A private cluster: its own config, spool, state and logs under $work (SLURM_CONF points the clients at it).
mkdir -p "$work/ctld" "$work/slurmd" "$work/log" /run/munge
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=rftbench-test
SlurmctldHost=$host
AuthType=auth/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmdSpoolDir=$work/slurmd
StateSaveLocation=$work/ctld
SlurmUser=root
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
MinJobAge=3600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# Daemons this script started, as NAME:PIDFILE, stopped in reverse order by the pid in the pid file each was
# told to write: never by name (pkill -x slurmd would also stop another user's or another test's daemon).
started=()
stop_daemon() { # NAME PIDFILE
  local pid
  pid=$(cat "$2" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  # A stale pid file may name a reused pid: signal it only if it is still that daemon.
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "$1 (pid $pid) did not stop within 10 s of SIGTERM; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do stop_daemon "${started[i]%%:*}" "${started[i]#*:}"; done
  rm -rf "$work"
  rm -f "$munge_pid"
}
trap cleanup EXIT

# munged runs as the munge user, which cannot write into $work (mode 700): its pid file goes beside its socket.
munge_pid=/run/munge/rftbench-test-$$.pid
if ! pgrep -x munged >/dev/null; then
  [ -f /etc/munge/munge.key ] || { mkdir -p /etc/munge && dd if=/dev/urandom of=/etc/munge/munge.key bs=1k count=1 status=none; }
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=$munge_pid"
  else
    /usr/sbin/munged --pid-file="$munge_pid"
  fi
  started+=("munged:$munge_pid")
fi
slurmctld -f "$SLURM_CONF"; started+=("slurmctld:$work/slurmctld.pid")
slurmd -f "$SLURM_CONF"; started+=("slurmd:$work/slurmd.pid")

for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc' && break; sleep 1; done
scontrol update nodename="$host" state=resume 2>/dev/null || true
sinfo

export RFTBENCH_GRES= RFTBENCH_CPUS=1 RFTBENCH_DATA="$work/data" RFTBENCH_SHARDS_DIR="$work/shards" RFTBENCH_MERGED_DB="$work/merged.db" RFTBENCH_THREADS=1
merge=$(harness/orchestration/cluster/slurm/submit.sh smoke 2 | tail -1)
echo "waiting for merge job $merge"
for _ in $(seq 900); do
  state=$(sacct -n -X -j "$merge" -o State 2>/dev/null | head -1 | tr -d ' ' || true)
  [ -z "$state" ] && state=$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case "$state" in COMPLETED|FAILED|CANCELLED*|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL) break ;; esac
  if squeue -h -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then state=DEPENDENCY_FAILED; break; fi
  [ -z "$state" ] && ! squeue -h -j "$merge" >/dev/null 2>&1 && { state=GONE; break; }
  sleep 2
done
echo "merge job state: $state"
tail -n 3 "$work"/shards/slurm-*.out 2>/dev/null || true
[ "$state" = COMPLETED ] || { echo "FAIL: merge job ended $state"; tail -n 20 "$work"/log/*.log; exit 1; }

cat > "$work/check.mts" <<TS
import { Store } from '$repo/results/store.ts';
import { expandSuite } from '$repo/harness/protocol/cells.ts';
import { loadSuite } from '$repo/harness/protocol/suites.ts';
import { resolveMethods } from '$repo/harness/orchestration/run/runner.ts';
const suite = (await resolveMethods(loadSuite('smoke'))).suite;
const store = Store.open('$work/merged.db', { readonly: true });
const want = expandSuite(suite).map((c) => c.id);
const got = store.listCells().filter((c) => c.status === 'completed').map((c) => c.id);
const missing = want.filter((id) => !got.includes(id));
console.log('merged store: ' + got.length + ' completed cells of ' + want.length);
if (missing.length || got.length !== want.length) { console.error('FAIL: missing ' + missing.join(', ')); process.exit(1); }
console.log('OK: the Slurm array job + merge produced every smoke cell');
TS
npx tsx "$work/check.mts"
