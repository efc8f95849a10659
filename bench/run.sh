#!/usr/bin/env bash
# Measures, in one run on this machine: the HTTP ceiling (`/healthz`), and accepted support requests
# per second through `POST /api/v1/requests` on SQLite and on PostgreSQL, at the same concurrency.
# The three loads alternate for ROUNDS rounds, each on a fresh server and database, so the machine's
# drift (it is shared) touches all three alike; the summary gives each one's median and the ratios of
# the medians. Every acknowledged case is then counted in the database. Needs wrk (Debian package
# `wrk`), psql and sqlite3 for the counts; PostgreSQL at $PG_ADMIN_URL.
#
#   bench/run.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#
# BINS="before=/path/to/sportello after=target/release/sportello" compares builds in the same
# rounds (each round runs every load of every build in turn, in the reverse order every other
# round, so that going second costs each build alike); by default, this tree's release build.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-3}
pg_admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
for tool in wrk sqlite3 psql; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool (apt-get install wrk sqlite3 postgresql-client)" >&2; exit 1; }
done

if [ -z "${BINS:-}" ]; then
  cargo build --release -p sportello >/dev/null
  BINS="this=target/release/sportello"
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# start URL PORT: runs the server in the background and waits until it is ready.
start() {
  SPORTELLO_INTAKE_RATE_LIMIT=off SPORTELLO_LOG=error "$bin" serve --addr "127.0.0.1:$2" \
    --database-url "$1" --data-dir "$work/data-$2-$round" &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not become ready" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; }

# load NAME PORT [wrk args…]: runs wrk, keeps its full output.
load() {
  local name=$1 port=$2; shift 2
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "http://127.0.0.1:$port/healthz" >"$work/$name.txt" 2>&1 \
    || { cat "$work/$name.txt"; exit 1; }
}
rps() { awk '/^Requests\/sec/ {print $2}' "$work/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$work/$1.txt"; }
# Answers that were 2xx: wrk counts the others.
answered() { awk '/ requests in / {n=$1} /Non-2xx/ {bad=$NF} END {print n-bad}' "$work/$1.txt"; }
rss() { awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$1/status"; }
row() { printf '%-6s %-18s %12s %10s %10s %10s %s\n' "$@"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "machine: $(nproc) cores; load from the same host; wrk -t2 -c$conns -d${secs}s; $rounds rounds"
row round run "req/s" p50 p99 "peak RSS" check
for round in $(seq 1 "$rounds"); do
  order=$BINS
  if [ $((round % 2)) -eq 0 ]; then order=$(printf '%s\n' $BINS | tac | tr '\n' ' '); fi
  for named in $order; do
    name=${named%%=*}
    bin=${named#*=}
    start "sqlite://$work/bench-$round.db" 18181
    load "$name-ceiling" 18181
    row "$round" "$name healthz (ceiling)" "$(rps "$name-ceiling")" "$(pct "$name-ceiling" 50%)" \
      "$(pct "$name-ceiling" 99%)" "$(rss $server)"
    rps "$name-ceiling" >>"$work/$name-ceiling.all"
    load "$name-sqlite" 18181 -s bench/intake.lua
    stored=$(sqlite3 "$work/bench-$round.db" 'select count(*) from tickets')
    row "$round" "$name intake sqlite" "$(rps "$name-sqlite")" "$(pct "$name-sqlite" 50%)" \
      "$(pct "$name-sqlite" 99%)" "$(rss $server)" "2xx=$(answered "$name-sqlite") stored=$stored"
    rps "$name-sqlite" >>"$work/$name-sqlite.all"
    stop

    db="sportello_bench_$$_$round"
    psql -q "$pg_admin" -c "create database $db" >/dev/null
    pg_url="${pg_admin%/*}/$db"
    start "$pg_url" 18182
    load "$name-postgres" 18182 -s bench/intake.lua
    stored=$(psql -tA "$pg_url" -c 'select count(*) from tickets')
    row "$round" "$name intake postgres" "$(rps "$name-postgres")" "$(pct "$name-postgres" 50%)" \
      "$(pct "$name-postgres" 99%)" "$(rss $server)" "2xx=$(answered "$name-postgres") stored=$stored"
    rps "$name-postgres" >>"$work/$name-postgres.all"
    stop
    psql -q "$pg_admin" -c "drop database $db" >/dev/null
    rm -rf "$work"/bench-"$round".db* "$work"/data-*-"$round"
  done
done

for named in $BINS; do
  name=${named%%=*}
  ceiling=$(median <"$work/$name-ceiling.all")
  sqlite_rps=$(median <"$work/$name-sqlite.all")
  pg_rps=$(median <"$work/$name-postgres.all")
  awk -v n="$name" -v c="$ceiling" -v s="$sqlite_rps" -v p="$pg_rps" 'BEGIN {
    printf "%s medians: ceiling %.0f req/s, sqlite %.0f req/s, postgres %.0f req/s\n", n, c, s, p
    printf "%s ratio to ceiling: sqlite %.1f %%, postgres %.1f %%\n", n, 100*s/c, 100*p/c }'
done
