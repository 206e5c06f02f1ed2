#!/usr/bin/env bash
# Runs a suite across a Slurm cluster: pretrain sources -> N shards as an array job -> merge.
#   harness/orchestration/cluster/slurm/submit.sh [SUITE] [SHARDS]            (defaults: standard 8)
# Environment: RFTBENCH_GRES (default gpu:1; empty for CPU-only nodes), RFTBENCH_CPUS (cpus per task, default
# the scripts' 4), RFTBENCH_PARTITION, RFTBENCH_DATA
# (shared cache), RFTBENCH_SHARDS_DIR (default results/shards), RFTBENCH_MERGED_DB (default results/rftbench.db).
# Prints the three job ids; the last line is the merge job's id.
set -euo pipefail
cd "$(dirname "$0")/../../.."
suite="${1:-standard}"
shards="${2:-8}"
gres="${RFTBENCH_GRES-gpu:1}"
common=(--parsable --export=ALL,RFTBENCH_SUITE="$suite")
[ -n "${RFTBENCH_PARTITION:-}" ] && common+=(--partition="$RFTBENCH_PARTITION")
[ -n "${RFTBENCH_CPUS:-}" ] && common+=(--cpus-per-task="$RFTBENCH_CPUS")
gpu=()
[ -n "$gres" ] && gpu=(--gres="$gres")
out="${RFTBENCH_SHARDS_DIR:-results/shards}"
mkdir -p "$out"

pre=$(sbatch "${common[@]}" "${gpu[@]}" --output="$out/slurm-pretrain-%j.out" harness/orchestration/cluster/slurm/pretrain.sbatch)
echo "pretrain job $pre"
arr=$(sbatch "${common[@]}" "${gpu[@]}" --dependency="afterok:$pre" --array="0-$((shards - 1))" --output="$out/slurm-shard-%A_%a.out" harness/orchestration/cluster/slurm/run-shard.sbatch)
echo "shard array job $arr ($shards tasks)"
merge=$(sbatch "${common[@]}" --dependency="afterok:$arr" --output="$out/slurm-merge-%j.out" harness/orchestration/cluster/slurm/merge.sbatch)
echo "merge job $merge"
echo "$merge"
