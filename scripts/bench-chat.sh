#!/usr/bin/env bash
# Runs the message-posting benchmark of docs/benchmarks.md against a local release build:
# `POST .../chats/{id}/messages` (JSON, a 256-byte ciphertext and a 12-byte nonce) at
# concurrency 16 by one owner, into one group chat and then into 16 (one per worker).
# Build first:
#
#   cargo build --release -p authdb-server -p authdb-loadgen
#   ./scripts/bench-chat.sh       # SQLite, then PostgreSQL if it answers
#
# Each backend gets a fresh server (fresh data dir; on PostgreSQL a fresh database,
# dropped afterwards) with the rate limit off, since one user sends everything (the API
# budget and the per-chat posting limit, `messaging.posts_per_minute_per_user`, would
# answer 429 long before the database is the limit).
#
# Environment:
#   BIN_DIR      where `authdb` and `authdb-loadgen` are (default target/release)
#   OUT_DIR      where results go (default: a new /tmp/authdb-bench-chat.XXXX)
#   PORT         server port (default 18080)
#   PG_URL       PostgreSQL server URL without a database
#                (default postgres://authdb:authdb@127.0.0.1:5432); BENCH_PG=0 skips it,
#                BENCH_SQLITE=0 skips SQLite
#   CONCURRENCY  posting clients, each with one request in flight (default 16)
#   CHATS        chat counts to run, one run each (default "1 16")
#   SECS         measured seconds of each run (default 20), after 3 s of warm-up
#   BYTES        ciphertext bytes per message (default 256)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN_DIR="${BIN_DIR:-target/release}"
PORT="${PORT:-18080}"
PG_URL="${PG_URL:-postgres://authdb:authdb@127.0.0.1:5432}"
BENCH_PG="${BENCH_PG:-1}"
BENCH_SQLITE="${BENCH_SQLITE:-1}"
CONCURRENCY="${CONCURRENCY:-16}"
CHATS="${CHATS:-1 16}"
SECS="${SECS:-20}"
BYTES="${BYTES:-256}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/authdb-bench-chat.XXXX)}"
BASE="http://127.0.0.1:${PORT}"
RESULTS="${OUT_DIR}/runs.jsonl"
SERVER_PID=""

log() { printf '==> %s\n' "$*" >&2; }

for bin in authdb authdb-loadgen; do
    [[ -x "${BIN_DIR}/${bin}" ]] || { log "missing ${BIN_DIR}/${bin}: build it first"; exit 1; }
done
mkdir -p "${OUT_DIR}"
: >"${RESULTS}"
log "results in ${OUT_DIR}"

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
    curl -fsS "${BASE}/health/live" >/dev/null || { log "server did not start, see ${log_file}"; exit 1; }
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
    for chats in ${CHATS}; do
        "${L[@]}" --scenario chat-post --concurrency "${CONCURRENCY}" --chats "${chats}" --message-bytes "${BYTES}" \
            --duration-secs "${SECS}" --warmup-secs 3 2>>"${OUT_DIR}/loadgen.log" \
            | jq -c --arg backend "$1" --argjson chats "${chats}" '. + {backend: $backend, chats: $chats}' >>"${RESULTS}"
        log "$1: chat-post c${CONCURRENCY} into ${chats} chat(s): $(tail -n 1 "${RESULTS}" | jq -r '.results[0] | "\(.ok_rps) msg/s p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) ms, \(.requests - .successes) errors"')"
    done
    stop_server
}

if [[ "${BENCH_SQLITE}" == 1 ]]; then
    run_backend sqlite "$(mktemp -d "${OUT_DIR}/sqlite.XXXX")"
fi
if [[ "${BENCH_PG}" == 1 ]] && psql "${PG_URL}/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
    db="authdb_bench_chat_$$"
    psql "${PG_URL}/postgres" -qc "create database ${db}"
    run_backend postgres "$(mktemp -d "${OUT_DIR}/pg.XXXX")" "${PG_URL}/${db}"
    psql "${PG_URL}/postgres" -qc "drop database ${db}"
else
    log "PostgreSQL skipped"
fi
