#!/usr/bin/env bash
# campaigns/mutant-shards.sh SEED OUT: the 200-mutant score of one seed
# (`cargo xtask mutants --sample 200 --seed SEED`) in 10 shards of 20
# mutants, one after the other, each shard's JSON written to OUT. A shard
# whose result is in OUT already is skipped, so the script resumes where an
# earlier sitting stopped; within a shard the verdicts cached under target/
# resume it on the same machine. It runs in the checkout of the generator
# being scored: ROOT (the default is this repository). When every shard is
# there, this repository's `mutants --merge` puts them together, with its
# triage as it is now.
set -euo pipefail
seed="${1:?usage: mutant-shards.sh SEED OUT}"
out_dir="$(cd "${2:?usage: mutant-shards.sh SEED OUT}" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
cd "${ROOT:-$here/..}"
for k in $(seq 1 10); do
    out="$out_dir/shard-$k-of-10.json"
    [ -s "$out" ] && continue
    cargo xtask mutants --sample 200 --seed "$seed" --shard "$k/10" --json > "$out.partial" || [ $? -eq 1 ]
    mv "$out.partial" "$out"
done
cd "$here/.."
cargo xtask mutants --merge "$out_dir"/shard-*-of-10.json
