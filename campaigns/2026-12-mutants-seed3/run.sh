#!/usr/bin/env bash
# The 200-mutant score of the generator with lookup and shape blocks (seed 3): run
# from a checkout of the generator being scored, named by ROOT (see
# README.md).
exec "$(dirname "$0")/../mutant-shards.sh" 3 "$(dirname "$0")"
