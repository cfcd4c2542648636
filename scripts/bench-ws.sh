#!/usr/bin/env bash
# Runs the WebSocket benchmarks of docs/benchmarks.md against a local release build:
#   ws-connect  SOCKETS authenticated sockets on one server, held open at rest; the
#               server's memory before and at rest, the connect rate and failures
#   ws-fanout   a group of MEMBERS, all online, posted into at RATE posts/s over REST;
#               the latency of every delivery, and every drop or 1013 close
# Build first:
#
#   cargo build --release -p authdb-server -p authdb-loadgen
#   ./scripts/bench-ws.sh        # SQLite, then PostgreSQL if it answers; RUNS rounds each
#
# Every run gets a fresh server (fresh data dir; on PostgreSQL a fresh database, dropped
# afterwards) with the settings a benchmark needs and says so:
#   AUTHDB__RATE_LIMIT__ENABLED=false  one address registers thousands of users and the
#                                      members post far beyond the per-chat limit
#   AUTHDB__AUTH__BCRYPT_COST=4        registering 10,000 users takes seconds instead of
#                                      ~20 minutes at cost 12 (~8 hashes/s on 2 cores);
#                                      no hash runs while anything is measured
#   AUTHDB__MAIL__TRANSPORT=none       invitations answer their token, so the fan-out
#                                      group's members can join the organization
# The open-file limit is raised (ulimit -n) for the server and the load generator: each
# socket is a file descriptor on both sides.
#
# Environment:
#   BIN_DIR      where `authdb` and `authdb-loadgen` are (default target/release)
#   OUT_DIR      where results go (default: a new /tmp/authdb-bench-ws.XXXX)
#   PORT         server port (default 18080)
#   PG_URL       PostgreSQL server URL without a database
#                (default postgres://authdb:authdb@127.0.0.1:5432); BENCH_PG=0 skips it,
#                BENCH_SQLITE=0 skips SQLite
#   RUNS         rounds per backend (default 3); SCENARIOS (default "connect fanout")
#   SOCKETS      ws-connect sockets (default 10000); USERS (default 0: one per socket);
#                CONNECT_PARALLELISM handshakes in flight (default 64); HOLD seconds at
#                rest (default 30, longer than a ping interval)
#   MEMBERS      ws-fanout group size (default 100); RATE posts/s (default 500); SECS
#                measured seconds (default 10) after WARMUP (default 2); BYTES ciphertext
#                bytes per message (default 256)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN_DIR="${BIN_DIR:-target/release}"
PORT="${PORT:-18080}"
PG_URL="${PG_URL:-postgres://authdb:authdb@127.0.0.1:5432}"
BENCH_PG="${BENCH_PG:-1}"
BENCH_SQLITE="${BENCH_SQLITE:-1}"
RUNS="${RUNS:-3}"
SCENARIOS="${SCENARIOS:-connect fanout}"
SOCKETS="${SOCKETS:-10000}"
USERS="${USERS:-0}"
CONNECT_PARALLELISM="${CONNECT_PARALLELISM:-64}"
HOLD="${HOLD:-30}"
MEMBERS="${MEMBERS:-100}"
RATE="${RATE:-500}"
SECS="${SECS:-10}"
WARMUP="${WARMUP:-2}"
BYTES="${BYTES:-256}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/authdb-bench-ws.XXXX)}"
RESULTS="${OUT_DIR}/runs.jsonl"

# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

bench_need_bins authdb authdb-loadgen
bench_raise_nofile $((SOCKETS + 4096))
mkdir -p "${OUT_DIR}"
: >"${RESULTS}"
bench_log "results in ${OUT_DIR} (open files: $(ulimit -n))"

SETTINGS=(AUTHDB__RATE_LIMIT__ENABLED=false AUTHDB__AUTH__BCRYPT_COST=4 AUTHDB__MAIL__TRANSPORT=none)
L=("${BIN_DIR}/authdb-loadgen" --base-url "http://127.0.0.1:${PORT}" --json)

# one_run BACKEND SCENARIO ROUND: a fresh server, one loadgen run, one line of results.
one_run() {
    local backend="$1" scenario="$2" round="$3" url="" data
    data="$(mktemp -d "${OUT_DIR}/${backend}.XXXX")"
    if [[ "${backend}" == postgres ]]; then
        bench_pg_create "authdb_bench_ws_$$_${round}"
        url="${PG_URL}/${BENCH_DB}"
    fi
    bench_start_server "${OUT_DIR}/server-${backend}-${scenario}-${round}.log" "${data}" "${url}" "${SETTINGS[@]}"
    local load
    load="$(bench_load)"
    local -a args
    if [[ "${scenario}" == connect ]]; then
        args=(--scenario ws-connect --sockets "${SOCKETS}" --users "${USERS}" --concurrency "${CONNECT_PARALLELISM}"
            --hold-secs "${HOLD}")
    else
        args=(--scenario ws-fanout --members "${MEMBERS}" --rate "${RATE}" --duration-secs "${SECS}"
            --warmup-secs "${WARMUP}" --message-bytes "${BYTES}")
    fi
    "${L[@]}" "${args[@]}" --server-pid "${BENCH_SERVER_PID}" --timeout-secs 30 2>>"${OUT_DIR}/loadgen.log" \
        | jq -c --arg backend "${backend}" --argjson round "${round}" --arg load "${load}" \
            '. + {backend: $backend, round: $round, load_before: ($load | tonumber)}' >>"${RESULTS}"
    bench_stop_server
    bench_pg_drop
    local line
    line="$(tail -n 1 "${RESULTS}")"
    if [[ "${scenario}" == connect ]]; then
        bench_log "${backend} ws-connect round ${round} (load ${load}): $(jq -r '"\(.connected)/\(.sockets) open, \(.connects_per_sec) connects/s, \(.open_at_rest) open at rest, RSS \(.server_memory.after_setup.vm_rss_kib) -> \(.server_memory.at_rest.vm_rss_kib) KiB (HWM \(.server_memory.at_rest.vm_hwm_kib)), errors \(.connect_errors)"' <<<"${line}")"
    else
        bench_log "${backend} ws-fanout round ${round} (load ${load}): $(jq -r '"\(.deliveries)/\(.deliveries_expected) delivered, \(.missing) missing, p50 \(.delivery_ms_from_post_sent.p50) p99 \(.delivery_ms_from_post_sent.p99) max \(.delivery_ms_from_post_sent.max) ms, \(.measured_deliveries_per_sec) deliveries/s, ends \(.socket_ends), post errors \(.post_errors)"' <<<"${line}")"
    fi
}

run_backend() {
    local backend="$1" round scenario
    for round in $(seq "${RUNS}"); do
        for scenario in ${SCENARIOS}; do
            one_run "${backend}" "${scenario}" "${round}"
        done
    done
}

if [[ "${BENCH_SQLITE}" == 1 ]]; then
    run_backend sqlite
fi
if [[ "${BENCH_PG}" == 1 ]] && bench_pg_up; then
    run_backend postgres
else
    bench_log "PostgreSQL skipped"
fi

median() { # backend scenario jq-expression
    jq -r --arg b "$1" --arg s "$2" "select(.backend == \$b and .scenario == \$s) | $3" "${RESULTS}" | bench_median
}
for backend in sqlite postgres; do
    grep -q "\"backend\":\"${backend}\"" "${RESULTS}" || continue
    if grep -q '"scenario":"ws-connect"' "${RESULTS}"; then
        bench_log "${backend} ws-connect medians: $(median "${backend}" ws-connect .connects_per_sec) connects/s, RSS at rest $(median "${backend}" ws-connect .server_memory.at_rest.vm_rss_kib) KiB, $(median "${backend}" ws-connect .server_memory.rest_minus_setup_kib_per_socket) KiB per socket"
    fi
    if grep -q '"scenario":"ws-fanout"' "${RESULTS}"; then
        bench_log "${backend} ws-fanout medians: p50 $(median "${backend}" ws-fanout .delivery_ms_from_post_sent.p50) p99 $(median "${backend}" ws-fanout .delivery_ms_from_post_sent.p99) ms, missing $(median "${backend}" ws-fanout .missing), $(median "${backend}" ws-fanout .measured_deliveries_per_sec) deliveries/s"
    fi
done
