#!/usr/bin/env bash
# The 200-mutant score of the stress generator as of e902588 (seed 1): run
# from a checkout of that commit, named by ROOT (see README.md).
exec "$(dirname "$0")/../mutant-shards.sh" 1 "$(dirname "$0")"
