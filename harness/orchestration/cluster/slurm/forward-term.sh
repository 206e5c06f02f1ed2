#!/usr/bin/env bash
# Runs a command as a child of the batch shell and forwards SIGTERM/SIGINT to it: Slurm signals only the batch
# shell (`#SBATCH --signal=B:TERM@120`: two minutes before the time limit, or on preemption). When the command
# exits 75 (EX_TEMPFAIL: rftbench stopped gracefully and saved its state), the job is requeued, and the requeued
# job resumes from the store and the training checkpoint. Any other exit status is passed on.
#   bash harness/orchestration/cluster/slurm/forward-term.sh node harness/orchestration/cli/rftbench.mjs run --suite quick
set -uo pipefail
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM
trap 'kill -INT "$child" 2>/dev/null || true' INT
# `wait` returns early when a trapped signal arrives: wait again until the child is gone, then take the
# status bash kept for it.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
status=$?
if [ "$status" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
  echo "rftbench was interrupted and saved its state (exit 75): requeueing job $SLURM_JOB_ID to resume" >&2
  scontrol requeue "$SLURM_JOB_ID" && exit 0
  echo "scontrol requeue $SLURM_JOB_ID failed: submit the job again to resume" >&2
fi
exit "$status"
