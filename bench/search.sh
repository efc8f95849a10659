#!/usr/bin/env bash
# Search at scale (issue 13): loads CASES cases (crates/server/examples/seed_desk.rs, descriptions
# made of the shared test data's real support requests) into SQLite and into PostgreSQL, then
# measures p50/p95/p99 of /api/v1/search for a word in 80 % of the cases, one in 40 %, two common
# words together, a rare word, a transaction id, a phone number and a case number, and of the
# desk's search page, at concurrency 1 and 8. Needs wrk, curl, psql, python3.
#
#   bench/search.sh [CASES] [SECONDS]        (BACKENDS="postgres" for one of the two)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000000}
secs=${2:-10}
pg_admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
texts_csv=${TEXTS_CSV:-../shared/testdata/tickets/bitext-customer-support-4514.csv}
for tool in wrk curl psql python3; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool" >&2; exit 1; }
done
cargo build --release -p sportello --bin sportello --example seed_desk >/dev/null
bin=$PWD/target/release/sportello
seed=$PWD/target/release/examples/seed_desk
work=$(mktemp -d)
pgdb="sportello_search_bench_$$"
trap 'kill $(jobs -p) 2>/dev/null || true; psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
port=18432
base="http://127.0.0.1:$port"
python3 -c 'import csv, sys
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    print(" ".join(row["instruction"].split()))' "$texts_csv" > "$work/texts.txt"

measure() { # NAME CONNECTIONS URL HEADER
  local threads=$(( $2 < 2 ? 1 : 2 ))
  local line
  line=$(wrk -t"$threads" -c"$2" -d"${secs}s" -s bench/latency.lua -H "$4" "$3" | tail -n1)
  read -r rps p50 p95 p99 errors <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$1" "$2" "$rps" "$p50" "$p95" "$p99" "$errors"
}

echo "| backend | search | connections | requests/s | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|"
for backend in ${BACKENDS:-sqlite postgres}; do
  if [ "$backend" = sqlite ]; then
    url="sqlite://$work/search.db"
  else
    psql -q "$pg_admin" -c "CREATE DATABASE $pgdb" >/dev/null
    url="${pg_admin%/*}/$pgdb"
  fi
  export SPORTELLO_DATABASE_URL="$url" SPORTELLO_DATA_DIR="$work/data-$backend" SPORTELLO_LOG=error
  "$bin" migrate >/dev/null
  echo 'correct horse battery' | "$bin" agent add --email bench@desk.test --name Bench --password-stdin >/dev/null
  started=$(date +%s)
  "$seed" "$url" "$cases" "$work/texts.txt" >&2
  echo "seeded $cases cases on $backend in $(( $(date +%s) - started )) s" >&2
  token=$("$bin" agent token --email bench@desk.test --scope read)
  "$bin" serve --addr "127.0.0.1:$port" &
  server=$!
  for _ in $(seq 1 300); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  jar="$work/jar-$backend"
  csrf=$(curl -s -c "$jar" "$base/desk/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"$//')
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=bench%40desk.test&password=correct+horse+battery" "$base/desk/login"
  session=$(awk '$6 == "sportello_session" {print $7}' "$jar")
  auth="Authorization: Bearer $token"
  middle=$(( cases / 2 ))
  transaction=$(printf 'WA%09d' "$middle")
  number=$(curl -s -H "$auth" "$base/api/v1/search?q=$transaction" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["case_number"])')
  for c in 1 8; do
    measure "a word in 80 % (i)" "$c" "$base/api/v1/search?q=i" "$auth"
    measure "a word in 40 % (help)" "$c" "$base/api/v1/search?q=help" "$auth"
    measure "two common words (help account)" "$c" "$base/api/v1/search?q=help+account" "$auth"
    measure "a rare word (quokka)" "$c" "$base/api/v1/search?q=quokka" "$auth"
    measure "a transaction id" "$c" "$base/api/v1/search?q=$transaction" "$auth"
    measure "a phone number" "$c" "$base/api/v1/search?q=%2B39+345+012+3456" "$auth"
    measure "a case number" "$c" "$base/api/v1/search?q=$number" "$auth"
    measure "desk page /desk/search?q=help" "$c" "$base/desk/search?q=help" "Cookie: sportello_session=$session"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
done
