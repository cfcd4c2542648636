#!/usr/bin/env bash
# Runs the inventory benchmarks of docs/benchmarks.md against a local release build:
# scan imports (10,000 hosts x 5 services, imported twice into an empty network) and the
# asset listing over 100,000 assets. Build first:
#
#   cargo build --release -p authdb-server -p authdb-loadgen
#   ./scripts/bench-inventory.sh       # SQLite, then PostgreSQL if it answers
#
# Each backend gets a fresh server (fresh data dir; on PostgreSQL a fresh database,
# dropped afterwards) with the rate limit off, since one user sends everything.
#
# Environment:
#   BIN_DIR      where `authdb` and `authdb-loadgen` are (default target/release)
#   OUT_DIR      where results go (default: a new /tmp/authdb-bench-inventory.XXXX)
#   PORT         server port (default 18080)
#   PG_URL       PostgreSQL server URL without a database
#                (default postgres://authdb:authdb@127.0.0.1:5432); BENCH_PG=0 skips it,
#                BENCH_SQLITE=0 skips SQLite
#   FORMATS      scan formats to import (default "json nmap")
#   HOSTS        hosts per scan (default 10000); SERVICES per host (default 5)
#   ASSETS       assets seeded for the listing (default 100000)
#   LIST_SECS    measured seconds of the listing run (default 20)
#   LIST_CONCURRENCY  listing clients, each with one request in flight (default 1)
#   QUERY        the listing's query (default cidr=10.1.0.0/16&tag=prod&sort=-risk_score&limit=50)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN_DIR="${BIN_DIR:-target/release}"
PORT="${PORT:-18080}"
PG_URL="${PG_URL:-postgres://authdb:authdb@127.0.0.1:5432}"
BENCH_PG="${BENCH_PG:-1}"
BENCH_SQLITE="${BENCH_SQLITE:-1}"
FORMATS="${FORMATS:-json nmap}"
HOSTS="${HOSTS:-10000}"
SERVICES="${SERVICES:-5}"
ASSETS="${ASSETS:-100000}"
LIST_SECS="${LIST_SECS:-20}"
LIST_CONCURRENCY="${LIST_CONCURRENCY:-1}"
QUERY="${QUERY:-cidr=10.1.0.0/16&tag=prod&sort=-risk_score&limit=50}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/authdb-bench-inventory.XXXX)}"
BASE="http://127.0.0.1:${PORT}"
RESULTS="${OUT_DIR}/runs.jsonl"
SERVER_PID=""

# bench_log, bench_need_bins, bench_pg_up (the script's own EXIT trap below replaces the
# library's).
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

bench_need_bins authdb authdb-loadgen
mkdir -p "${OUT_DIR}"
: >"${RESULTS}"
bench_log "results in ${OUT_DIR}"

start_server() { # backend data_dir [database_url]
    local log_file="${OUT_DIR}/server-$1.log"
    if [[ -n "${3:-}" ]]; then export AUTHDB__DATABASE__URL="$3"; else unset AUTHDB__DATABASE__URL; fi
    AUTHDB__RATE_LIMIT__ENABLED=false AUTHDB__DATA_DIR="$2" AUTHDB__SERVER__BIND="127.0.0.1:${PORT}" \
        "${BIN_DIR}/authdb" >"${log_file}" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 50); do
        curl -fsS "${BASE}/health/live" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fsS "${BASE}/health/live" >/dev/null || { bench_log "server did not start, see ${log_file}"; exit 1; }
}

stop_server() {
    kill -TERM "${SERVER_PID}"
    wait "${SERVER_PID}" || true
    SERVER_PID=""
}
trap '[[ -n "${SERVER_PID}" ]] && kill -TERM "${SERVER_PID}" 2>/dev/null; true' EXIT

L=("${BIN_DIR}/authdb-loadgen" --base-url "${BASE}" --json)

run_backend() { # backend data_dir [database_url]
    start_server "$@"
    for format in ${FORMATS}; do
        "${L[@]}" --scenario scan-import --format "${format}" --hosts "${HOSTS}" --services-per-host "${SERVICES}" \
            --rounds 2 --server-pid "${SERVER_PID}" --timeout-secs 600 2>>"${OUT_DIR}/loadgen.log" \
            | jq -c --arg backend "$1" '. + {backend: $backend}' >>"${RESULTS}"
        bench_log "$1: $(tail -n 1 "${RESULTS}" | jq -r '"\(.format) import: " + ([.rounds[] | "\(.secs) s"] | join(", then "))')"
    done
    # On PostgreSQL the seeded tables are vacuumed before the measured run, as autovacuum
    # would within minutes: straight after 100,000 inserts no page of `asset_tags` is marked
    # all-visible yet, and its count is a bitmap heap scan instead of an index-only one.
    local settle=()
    [[ -n "${3:-}" ]] && settle=(--after-seed "psql '$3' -qc 'VACUUM ANALYZE assets, asset_tags'")
    "${L[@]}" --scenario asset-list --assets "${ASSETS}" --query "${QUERY}" --concurrency "${LIST_CONCURRENCY}" \
        --duration-secs "${LIST_SECS}" --warmup-secs 2 "${settle[@]}" 2>>"${OUT_DIR}/loadgen.log" \
        | jq -c --arg backend "$1" '. + {backend: $backend}' >>"${RESULTS}"
    bench_log "$1: asset-list c${LIST_CONCURRENCY}: $(tail -n 1 "${RESULTS}" | jq -r '.results[0] | "\(.rps) req/s p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) ms, \(.requests - .successes) errors"')"
    stop_server
}

if [[ "${BENCH_SQLITE}" == 1 ]]; then
    run_backend sqlite "$(mktemp -d "${OUT_DIR}/sqlite.XXXX")"
fi
if [[ "${BENCH_PG}" == 1 ]] && bench_pg_up; then
    db="authdb_bench_inventory_$$"
    psql "${PG_URL}/postgres" -qc "create database ${db}"
    run_backend postgres "$(mktemp -d "${OUT_DIR}/pg.XXXX")" "${PG_URL}/${db}"
    psql "${PG_URL}/postgres" -qc "drop database ${db}"
else
    bench_log "PostgreSQL skipped"
fi
