#!/usr/bin/env bash
# Throughput of `sportello mail ingest` as an MTA pipe runs it: one process per message, on the
# shared corpus of real messages, ROUNDS times, each round into a fresh SQLite database (a message
# filed twice in one database is recognised and skipped, which would flatter the figure).
#
#   bench/ingest.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo build --release -p sportello >/dev/null
bin=$PWD/target/release/sportello
corpus=$PWD/../shared/testdata/email
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq 1 "$rounds"); do
  mkdir "$work/$r" && (cd "$work/$r" && "$bin" migrate >/dev/null)
done
start=$(date +%s.%N)
n=0
for r in $(seq 1 "$rounds"); do
  cd "$work/$r"
  for f in "$corpus"/*.eml; do
    SPORTELLO_LOG=error "$bin" mail ingest <"$f" >/dev/null
    n=$((n + 1))
  done
done
end=$(date +%s.%N)
awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%d messages in %.2f s: %.0f messages/s (%.1f ms each)\n", n, e - s, n / (e - s), 1000 * (e - s) / n }'
