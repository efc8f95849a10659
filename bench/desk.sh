#!/usr/bin/env bash
# The desk at scale (issue 10): loads CASES cases (a year of them, see
# crates/server/examples/seed_desk.rs) into SQLite and into PostgreSQL, then measures p50/p95/p99 of
# the queue page, /api/v1/tickets (first page and a deep cursor), a filtered view and the case page,
# at concurrency 1 and 8, beside this machine's HTTP ceiling (/healthz). Needs wrk, curl, psql.
#
#   bench/desk.sh [CASES] [SECONDS]        (BACKENDS="postgres" for one of the two)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000000}
secs=${2:-10}
pg_admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
for tool in wrk curl psql; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool" >&2; exit 1; }
done
cargo build --release -p sportello --bin sportello --example seed_desk >/dev/null
bin=$PWD/target/release/sportello
seed=$PWD/target/release/examples/seed_desk
work=$(mktemp -d)
pgdb="sportello_desk_bench_$$"
trap 'kill $(jobs -p) 2>/dev/null || true; psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
port=18431
base="http://127.0.0.1:$port"

measure() { # NAME CONNECTIONS URL [HEADER]
  local threads=$(( $2 < 2 ? 1 : 2 ))
  local line
  if [ -n "${4:-}" ]; then
    line=$(wrk -t"$threads" -c"$2" -d"${secs}s" -s bench/latency.lua -H "$4" "$3" | tail -n1)
  else
    line=$(wrk -t"$threads" -c"$2" -d"${secs}s" -s bench/latency.lua "$3" | tail -n1)
  fi
  read -r rps p50 p95 p99 errors <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$1" "$2" "$rps" "$p50" "$p95" "$p99" "$errors"
}

echo "| backend | what | connections | requests/s | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|"
for backend in ${BACKENDS:-sqlite postgres}; do
  if [ "$backend" = sqlite ]; then
    url="sqlite://$work/desk.db"
  else
    psql -q "$pg_admin" -c "CREATE DATABASE $pgdb" >/dev/null
    url="${pg_admin%/*}/$pgdb"
  fi
  export SPORTELLO_DATABASE_URL="$url" SPORTELLO_DATA_DIR="$work/data-$backend" SPORTELLO_LOG=error
  "$bin" migrate >/dev/null
  "$bin" team add --name safety --owns security/support_scam --restricted >/dev/null
  echo 'correct horse battery' | "$bin" agent add --email bench@desk.test --name Bench --team payments --password-stdin >/dev/null
  for i in $(seq 1 49); do "$bin" agent add --email "agent$i@desk.test" --name "Agent $i" >/dev/null; done
  started=$(date +%s)
  "$seed" "$url" "$cases" >&2
  echo "seeded $cases cases on $backend in $(( $(date +%s) - started )) s" >&2
  token=$("$bin" agent token --email bench@desk.test --scope read)
  "$bin" serve --addr "127.0.0.1:$port" &
  server=$!
  for _ in $(seq 1 300); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  # A session cookie for the pages, signed in as a browser would.
  jar="$work/jar-$backend"
  csrf=$(curl -s -c "$jar" "$base/desk/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"$//')
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=bench%40desk.test&password=correct+horse+battery" "$base/desk/login"
  session=$(awk '$6 == "sportello_session" {print $7}' "$jar")
  cookie="Cookie: sportello_session=$session"
  auth="Authorization: Bearer $token"
  # A deep cursor: 200 pages of 100 (20,000 cases) into the open queue.
  cursor=""
  deep=$(curl -s -H "$auth" "$base/api/v1/tickets?limit=100" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])')
  for _ in $(seq 1 199); do
    deep=$(curl -s -H "$auth" "$base/api/v1/tickets?limit=100&cursor=$deep" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
    [ -n "$deep" ] || break
  done
  case_number=$(curl -s -H "$auth" "$base/api/v1/tickets?cursor=$deep" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tickets"][0]["case_number"])')
  for c in 1 8; do
    measure "/healthz (ceiling)" "$c" "$base/healthz"
    measure "queue page /desk" "$c" "$base/desk" "$cookie"
    measure "/api/v1/tickets" "$c" "$base/api/v1/tickets" "$auth"
    measure "/api/v1/tickets, cursor 20,000 deep" "$c" "$base/api/v1/tickets?cursor=$deep" "$auth"
    measure "filtered: payments, high" "$c" "$base/api/v1/tickets?category=payments&priority=high" "$auth"
    measure "case page /desk/cases/…" "$c" "$base/desk/cases/$case_number" "$cookie"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
done
