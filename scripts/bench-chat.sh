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
#   CHATS        chat counts to run, one run each per round (default "1 16")
#   SECS         measured seconds of each run (default 20), after 3 s of warm-up
#   BYTES        ciphertext bytes per message (default 256)
#   RUNS         rounds per backend (default 1), each on a fresh server; the medians of
#                the rounds are printed at the end, and every run records the machine's
#                load average before it (`load_before`)
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
RUNS="${RUNS:-1}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/authdb-bench-chat.XXXX)}"
RESULTS="${OUT_DIR}/runs.jsonl"

# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

bench_need_bins authdb authdb-loadgen
mkdir -p "${OUT_DIR}"
: >"${RESULTS}"
bench_log "results in ${OUT_DIR}"

L=("${BIN_DIR}/authdb-loadgen" --base-url "http://127.0.0.1:${PORT}" --json)

run_backend() { # backend round
    local backend="$1" round="$2" url="" chats load
    if [[ "${backend}" == postgres ]]; then
        bench_pg_create "authdb_bench_chat_$$_${round}"
        url="${PG_URL}/${BENCH_DB}"
    fi
    bench_start_server "${OUT_DIR}/server-${backend}-${round}.log" "$(mktemp -d "${OUT_DIR}/${backend}.XXXX")" "${url}" \
        AUTHDB__RATE_LIMIT__ENABLED=false
    for chats in ${CHATS}; do
        load="$(bench_load)"
        "${L[@]}" --scenario chat-post --concurrency "${CONCURRENCY}" --chats "${chats}" --message-bytes "${BYTES}" \
            --duration-secs "${SECS}" --warmup-secs 3 2>>"${OUT_DIR}/loadgen.log" \
            | jq -c --arg backend "${backend}" --argjson chats "${chats}" --argjson round "${round}" --arg load "${load}" \
                '. + {backend: $backend, chats: $chats, round: $round, load_before: ($load | tonumber)}' >>"${RESULTS}"
        bench_log "${backend} round ${round} (load ${load}): chat-post c${CONCURRENCY} into ${chats} chat(s): $(tail -n 1 "${RESULTS}" | jq -r '.results[0] | "\(.ok_rps) msg/s p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) ms, \(.requests - .successes) errors"')"
    done
    bench_stop_server
    bench_pg_drop
}

backends=()
[[ "${BENCH_SQLITE}" == 1 ]] && backends+=(sqlite)
if [[ "${BENCH_PG}" == 1 ]] && bench_pg_up; then backends+=(postgres); else bench_log "PostgreSQL skipped"; fi
for round in $(seq "${RUNS}"); do
    for backend in "${backends[@]}"; do
        run_backend "${backend}" "${round}"
    done
done

for backend in "${backends[@]}"; do
    for chats in ${CHATS}; do
        median="$(jq -r --arg b "${backend}" --argjson c "${chats}" 'select(.backend == $b and .chats == $c) | .results[0].ok_rps' "${RESULTS}" | bench_median)"
        p99="$(jq -r --arg b "${backend}" --argjson c "${chats}" 'select(.backend == $b and .chats == $c) | .results[0].latency_ms.p99' "${RESULTS}" | bench_median)"
        bench_log "${backend}, ${chats} chat(s): median of ${RUNS} rounds ${median} msg/s, median p99 ${p99} ms"
    done
done
