#!/usr/bin/env bash
# The 200-mutant score of the stress generator as of e902588 (seed 1), in
# 10 shards of 20 mutants. A shard whose result is here already is skipped,
# so the script resumes where an earlier sitting stopped; within a shard the
# verdicts cached under target/ resume it on the same machine. Run it from a
# checkout of the generator being scored: ROOT names that checkout (the
# default is this repository), OUT where the shards go (this folder).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "${ROOT:-$here/../..}"
out_dir="${OUT:-$here}"
for k in $(seq 1 10); do
    out="$out_dir/shard-$k-of-10.json"
    [ -s "$out" ] && continue
    cargo xtask mutants --sample 200 --seed 1 --shard "$k/10" --json > "$out.partial" || [ $? -eq 1 ]
    mv "$out.partial" "$out"
done
cargo xtask mutants --merge "$out_dir"/shard-*-of-10.json
