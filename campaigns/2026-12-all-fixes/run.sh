#!/usr/bin/env bash
# The 40,000-program campaign on luajit-src 210.7.4+c6ffc14 with
# patches/extra/all-fixes (every known defect's fix), seed 0x40000, in 16
# shards of 2,500 programs. A shard whose result is here already is skipped,
# so the script resumes where an earlier sitting stopped; within a shard the
# stress run's own journal resumes it on the same machine. The findings go
# into this folder's store (findings/), apart from what other runs add.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=campaigns/2026-12-all-fixes
export LUAJIT_ARM64_VERIFY_FINDINGS="$PWD/$here/findings"
for k in $(seq 1 16); do
    out="$here/shard-$k-of-16.json"
    [ -s "$out" ] && continue
    cargo xtask stress --luajit-src 210.7.4+c6ffc14 --patches patches/extra/all-fixes \
        --seed 0x40000 --count 40000 --shard "$k/16" --json > "$out.partial" || [ $? -eq 1 ]
    mv "$out.partial" "$out"
done
