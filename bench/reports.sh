#!/usr/bin/env bash
# Reports at scale (issue 13): loads CASES cases over the last year (crates/server/examples/seed_desk.rs)
# into SQLite and into PostgreSQL, then measures p50/p95 of /api/v1/reports/{measure} over that
# whole year, one request at a time, for every measure (by category, and volume by each dimension).
# Needs wrk, curl, psql.
#
#   bench/reports.sh [CASES] [SECONDS]        (BACKENDS="postgres" for one of the two)
#   SEEDED="sqlite:///tmp/x.db postgres://…/db" bench/reports.sh 0 [SECONDS]
#                                             (databases seeded before, with bench@desk.test as admin)
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
pgdb="sportello_reports_bench_$$"
trap 'kill $(jobs -p) 2>/dev/null || true; psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
port=18432
base="http://127.0.0.1:$port"
from=$(date -u -d '364 days ago' +%F)
to=$(date -u +%F)
year="from=$from&to=$to&tz=UTC"

measure() { # NAME URL [ACCEPT]
  local line
  line=$(wrk -t1 -c1 -d"${secs}s" --timeout 30s -s bench/latency.lua -H "$auth" -H "Accept: ${3:-application/json}" "$2" | tail -n1)
  read -r rps p50 p95 p99 errors <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$backend" "$1" "$rps" "$p50" "$p95" "$errors"
}

echo "| backend | report over a year | requests/s | p50 ms | p95 ms | errors |"
echo "|---|---|---|---|---|---|"
for target in ${SEEDED:-${BACKENDS:-sqlite postgres}}; do
  case "$target" in
    sqlite) backend=sqlite; url="sqlite://$work/reports.db" ;;
    postgres) backend=postgres; psql -q "$pg_admin" -c "CREATE DATABASE $pgdb" >/dev/null; url="${pg_admin%/*}/$pgdb" ;;
    sqlite:*) backend=sqlite; url="$target" ;;
    *) backend=postgres; url="$target" ;;
  esac
  export SPORTELLO_DATABASE_URL="$url" SPORTELLO_DATA_DIR="$work/data-$backend" SPORTELLO_LOG=error
  "$bin" migrate >/dev/null
  if [ -z "${SEEDED:-}" ]; then
    echo 'correct horse battery' | "$bin" agent add --email bench@desk.test --name Bench --role admin --password-stdin >/dev/null
    started=$(date +%s)
    "$seed" "$url" "$cases" >&2
    echo "seeded $cases cases on $backend in $(( $(date +%s) - started )) s" >&2
  fi
  token=$("$bin" agent token --email bench@desk.test --scope read)
  "$bin" serve --addr "127.0.0.1:$port" &
  server=$!
  for _ in $(seq 1 300); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth="Authorization: Bearer $token"
  curl -fs -H "$auth" "$base/api/v1/reports/volume?$year" >/dev/null # warm the caches once
  for m in volume first_response_time resolution_time within_target breaches resolution_rate reopen_rate \
           needed_info merged urgent csat estimate_error; do
    measure "$m by category" "$base/api/v1/reports/$m?by=category&$year"
  done
  for by in all subcategory channel priority team agent organisation period; do
    measure "volume by $by" "$base/api/v1/reports/volume?by=$by&$year"
  done
  measure "first_response_time by period" "$base/api/v1/reports/first_response_time?by=period&$year"
  measure "hour_of_week" "$base/api/v1/reports/hour_of_week?$year"
  measure "backlog" "$base/api/v1/reports/backlog?$year"
  measure "volume by category, CSV" "$base/api/v1/reports/volume?by=category&$year" text/csv
  kill "$server"; wait "$server" 2>/dev/null || true
done
