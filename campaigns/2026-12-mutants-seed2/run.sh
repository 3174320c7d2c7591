#!/usr/bin/env bash
# The 200-mutant score of the value-biased stress generator (seed 2): run
# from a checkout of 22cf6eb (the generator of 3504a4b), named by ROOT
# (see README.md).
exec "$(dirname "$0")/../mutant-shards.sh" 2 "$(dirname "$0")"
