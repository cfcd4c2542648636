#!/usr/bin/env bash
# Runs the HTTP benchmarks of docs/benchmarks.md against a local release build and
# prints the medians. Build first:
#
#   cargo build --release -p authdb-server -p authdb-loadgen
#   ./scripts/bench.sh                 # SQLite, then PostgreSQL if it answers
#
# Every run is bounded (warm-up + measured window, at most ~20 s) and only talks to
# 127.0.0.1. Before each run the script waits (up to QUIET_WAIT seconds) until the
# machine is idle, and it records how much CPU other processes used during the run
# (`other_cpu%` in the summary, in % of all cores), so a run disturbed by, say, a cargo
# build shows.
#
# Environment:
#   BIN_DIR      where `authdb` and `authdb-loadgen` are (default target/release)
#   OUT_DIR      where results go (default: a new /tmp/authdb-bench.XXXX)
#   RUNS         runs per scenario (default 3)
#   PORT         server port (default 18080)
#   PG_URL       PostgreSQL server URL without a database
#                (default postgres://authdb:authdb@127.0.0.1:5432); BENCH_PG=0 skips it,
#                BENCH_SQLITE=0 skips SQLite
#   QUIET_WAIT   seconds to wait for an idle machine before each run (default 120)
#   REVOKED_SET  revoked sessions seeded for the PostgreSQL revocation-set runs (100000)
#   LOGIN_SECS, FAST_SECS, WARMUP_SECS
#                measured seconds of the login runs (15) and of the others (10), warm-up (2)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN_DIR="${BIN_DIR:-target/release}"
RUNS="${RUNS:-3}"
PORT="${PORT:-18080}"
PG_URL="${PG_URL:-postgres://authdb:authdb@127.0.0.1:5432}"
BENCH_PG="${BENCH_PG:-1}"
BENCH_SQLITE="${BENCH_SQLITE:-1}"
QUIET_WAIT="${QUIET_WAIT:-120}"
LOGIN_SECS="${LOGIN_SECS:-15}"
REVOKED_SET="${REVOKED_SET:-100000}"
FAST_SECS="${FAST_SECS:-10}"
WARMUP_SECS="${WARMUP_SECS:-2}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/authdb-bench.XXXX)}"
BASE="http://127.0.0.1:${PORT}"
RESULTS="${OUT_DIR}/runs.jsonl"
NCPU="$(nproc)"
SERVER_PID=""

# bench_log, bench_need_bins, bench_pg_up (the script's own EXIT trap below replaces the
# library's).
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

bench_need_bins authdb authdb-loadgen
mkdir -p "${OUT_DIR}"
: > "${RESULTS}"
bench_log "results in ${OUT_DIR}"

# Busy CPU time of the whole machine, in clock ticks.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8; exit}' /proc/stat; }
# CPU time of one process, in clock ticks.
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# CPU time of this shell's finished children (the load generator), in seconds. `times`
# must run in this shell, not in a subshell, to see them.
children_secs() {
    times >"${OUT_DIR}/.times"
    tail -n 1 "${OUT_DIR}/.times" | awk '{ split($1,u,/[ms]/); split($2,s,/[ms]/); print u[1]*60+u[2]+s[1]*60+s[2] }'
}
status_kb() { awk -v key="$2:" '$1==key{print $2}' "/proc/$1/status"; }
TICKS="$(getconf CLK_TCK)"

# Waits until the machine has been under 10% busy for a second (or QUIET_WAIT passes).
wait_quiet() {
    local waited=0 before after
    while (( waited < QUIET_WAIT )); do
        before="$(busy_ticks)"; sleep 1; after="$(busy_ticks)"
        if (( (after - before) * 100 < TICKS * NCPU * 10 )); then return 0; fi
        waited=$((waited + 1))
    done
    bench_log "machine still busy after ${QUIET_WAIT}s; running anyway (see other_cpu_pct)"
}

start_server() { # backend data_dir [database_url]
    local log_file="${OUT_DIR}/server-$1.log"
    # The load generator logs in from one address far above any sane per-IP limit.
    export AUTHDB__RATE_LIMIT__ENABLED=false
    if [[ -n "${3:-}" ]]; then
        AUTHDB__DATA_DIR="$2" AUTHDB__SERVER__BIND="127.0.0.1:${PORT}" AUTHDB__DATABASE__URL="$3" \
            "${BIN_DIR}/authdb" >"${log_file}" 2>&1 &
    else
        AUTHDB__DATA_DIR="$2" AUTHDB__SERVER__BIND="127.0.0.1:${PORT}" "${BIN_DIR}/authdb" >"${log_file}" 2>&1 &
    fi
    SERVER_PID=$!
    for _ in $(seq 50); do
        curl -fsS "${BASE}/health/live" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fsS "${BASE}/health/live" >/dev/null || { bench_log "server did not start, see ${log_file}"; exit 1; }
    sleep 2
    jq -nc --arg backend "$1" --argjson rss "$(status_kb "${SERVER_PID}" VmRSS)" \
        '{kind:"rss",backend:$backend,phase:"idle",vm_rss_kb:$rss}' >>"${RESULTS}"
}

stop_server() { # backend
    jq -nc --arg backend "$1" --argjson rss "$(status_kb "${SERVER_PID}" VmRSS)" \
        --argjson hwm "$(status_kb "${SERVER_PID}" VmHWM)" \
        '{kind:"rss",backend:$backend,phase:"after load",vm_rss_kb:$rss,vm_hwm_kb:$hwm}' >>"${RESULTS}"
    kill -TERM "${SERVER_PID}"
    wait "${SERVER_PID}" || true
    SERVER_PID=""
}
trap '[[ -n "${SERVER_PID}" ]] && kill -TERM "${SERVER_PID}" 2>/dev/null; true' EXIT

run_one() { # backend round scenario concurrency duration warmup [extra loadgen arguments]
    local busy0 server0 child0 wall0 line busy1 server1 child1 wall1
    wait_quiet
    children_secs >"${OUT_DIR}/.child0"
    busy0="$(busy_ticks)"; server0="$(proc_ticks "${SERVER_PID}")"; child0="$(<"${OUT_DIR}/.child0")"
    wall0="$(date +%s.%N)"
    line="$("${BIN_DIR}/authdb-loadgen" --base-url "${BASE}" --scenario "$3" --concurrency "$4" \
        --duration-secs "$5" --warmup-secs "$6" "${@:7}" --json 2>>"${OUT_DIR}/loadgen.log")"
    wall1="$(date +%s.%N)"
    children_secs >"${OUT_DIR}/.child1"
    busy1="$(busy_ticks)"; server1="$(proc_ticks "${SERVER_PID}")"; child1="$(<"${OUT_DIR}/.child1")"
    # Everything busy that was neither the server nor the load generator (setup included).
    jq -c --arg backend "$1" --argjson round "$2" \
        --argjson server_cpu "$(awk -v a="${server0}" -v b="${server1}" -v t="${TICKS}" 'BEGIN{print (b-a)/t}')" \
        --argjson loadgen_cpu "$(awk -v a="${child0}" -v b="${child1}" 'BEGIN{print b-a}')" \
        --argjson busy "$(awk -v a="${busy0}" -v b="${busy1}" -v t="${TICKS}" 'BEGIN{print (b-a)/t}')" \
        --argjson wall "$(awk -v a="${wall0}" -v b="${wall1}" 'BEGIN{print b-a}')" \
        '. + {kind:"run",backend:$backend,round:$round,server_cpu_s:$server_cpu,loadgen_cpu_s:$loadgen_cpu,
              busy_cpu_s:$busy,wall_s:$wall}' <<<"${line}" >>"${RESULTS}"
    bench_log "$1 round $2: $3 c$4 ${*:7}: $(jq -r '[.results[] | "\(.name) \(.rps) req/s p99 \(.latency_ms.p99) ms"] | join("; ")' <<<"${line}")"
}

# SQLite: every scenario, interleaved round by round so drift hits them all alike.
if [[ "${BENCH_SQLITE}" == 1 ]]; then
data_dir="$(mktemp -d "${OUT_DIR}/sqlite.XXXX")"
start_server sqlite "${data_dir}"
for round in $(seq "${RUNS}"); do
    run_one sqlite "${round}" login 4 "${LOGIN_SECS}" "${WARMUP_SECS}"
    run_one sqlite "${round}" login 8 "${LOGIN_SECS}" "${WARMUP_SECS}"
    run_one sqlite "${round}" live-under-login 8 "${LOGIN_SECS}" "${WARMUP_SECS}" --probe-interval-ms 10
    run_one sqlite "${round}" live-under-login 8 "${LOGIN_SECS}" "${WARMUP_SECS}" --probe-interval-ms 0
    run_one sqlite "${round}" me 16 "${FAST_SECS}" "${WARMUP_SECS}"
    run_one sqlite "${round}" live 16 "${FAST_SECS}" "${WARMUP_SECS}"
    run_one sqlite "${round}" refresh 8 "${FAST_SECS}" "${WARMUP_SECS}"
    run_one sqlite "${round}" revoked-token 16 "${FAST_SECS}" "${WARMUP_SECS}"
done
stop_server sqlite
fi

# PostgreSQL: the database-bound scenarios, on fresh databases dropped afterwards. Two
# servers run side by side: one on an empty database, one whose database holds
# REVOKED_SET sessions revoked just now, which it loads into its in-memory revocation set
# at start. Rounds alternate between them, so the comparison sees the same machine.
if [[ "${BENCH_PG}" == 1 ]] && bench_pg_up; then
    plain_db="authdb_bench_$$"; seeded_db="authdb_bench_revoked_$$"
    seeded="postgres-revoked-${REVOKED_SET}"
    psql "${PG_URL}/postgres" -qc "create database ${plain_db}" -c "create database ${seeded_db}"
    plain_dir="$(mktemp -d "${OUT_DIR}/pg.XXXX")"; seeded_dir="$(mktemp -d "${OUT_DIR}/pg-revoked.XXXX")"

    start_server seeding "${seeded_dir}" "${PG_URL}/${seeded_db}"
    user_id="$(curl -fsS -H 'content-type: application/json' "${BASE}/api/v1/auth/register" \
        -d '{"email":"seed@bench.example.com","username":"seed","password":"Seed-pass-123"}' | jq -r .user.id)"
    stop_server seeding
    psql "${PG_URL}/${seeded_db}" -qc "insert into sessions (id, user_id, user_agent, created_at, last_used_at,
        expires_at, revoked_at, revoked_reason) select gen_random_uuid(), '${user_id}', 'bench seed', now(), now(),
        now() + interval '30 days', now(), 'logout' from generate_series(1, ${REVOKED_SET})"

    PLAIN_PORT="${PORT}"; SEEDED_PORT="$((PORT + 1))"
    start_server postgres "${plain_dir}" "${PG_URL}/${plain_db}"; PLAIN_PID="${SERVER_PID}"
    PORT="${SEEDED_PORT}"; BASE="http://127.0.0.1:${PORT}"
    start_server "${seeded}" "${seeded_dir}" "${PG_URL}/${seeded_db}"; SEEDED_PID="${SERVER_PID}"
    grep -o 'revoked_sessions[^ ]*' "${OUT_DIR}/server-${seeded}.log" | head -1 >&2 || true
    use_plain() { PORT="${PLAIN_PORT}"; BASE="http://127.0.0.1:${PORT}"; SERVER_PID="${PLAIN_PID}"; }
    use_seeded() { PORT="${SEEDED_PORT}"; BASE="http://127.0.0.1:${PORT}"; SERVER_PID="${SEEDED_PID}"; }
    trap 'kill -TERM "${PLAIN_PID}" "${SEEDED_PID}" 2>/dev/null || true' EXIT
    for round in $(seq "${RUNS}"); do
        use_plain; run_one postgres "${round}" live 16 "${FAST_SECS}" "${WARMUP_SECS}"
        for scenario in "me 16" "refresh 8" "revoked-token 16"; do
            read -r name concurrency <<<"${scenario}"
            use_plain; run_one postgres "${round}" "${name}" "${concurrency}" "${FAST_SECS}" "${WARMUP_SECS}"
            use_seeded; run_one "${seeded}" "${round}" "${name}" "${concurrency}" "${FAST_SECS}" "${WARMUP_SECS}"
        done
    done
    use_plain; stop_server postgres
    use_seeded; stop_server "${seeded}"
    psql "${PG_URL}/postgres" -qc "drop database ${plain_db}" -c "drop database ${seeded_db}"
else
    bench_log "PostgreSQL skipped"
fi

# Medians per backend, scenario, concurrency and result (login vs live_probe).
jq -rs --argjson ncpu "${NCPU}" '
  def median: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
  (map(select(.kind == "run")) | map(. as $r | .results[] | {backend: $r.backend, scenario: $r.scenario,
      concurrency: $r.concurrency, name: (.name + (if ($r.probe_interval_ms // 0) > 0 then " (probe every \($r.probe_interval_ms) ms)" elif $r.scenario == "live-under-login" then " (probe back to back)" else "" end)), rps, p50: .latency_ms.p50, p99: .latency_ms.p99, errors: (.requests - .successes),
      other: (($r.busy_cpu_s - $r.server_cpu_s - $r.loadgen_cpu_s) / $r.wall_s / $ncpu * 100)})
    | group_by([.backend, .scenario, .concurrency, .name])
    | map("\(.[0].backend)\t\(.[0].scenario) c\(.[0].concurrency)\t\(.[0].name)\truns \(length)\tmedian req/s \(map(.rps) | median)\tp50 ms \(map(.p50) | median)\tp99 ms \(map(.p99) | median)\terrors \(map(.errors) | add)\tmax other_cpu% \(map(.other) | max | . * 10 | round / 10)")
    | .[]),
  (map(select(.kind == "rss")) | .[] | "\(.backend)\tRSS \(.phase)\tVmRSS \(.vm_rss_kb) kB\(if .vm_hwm_kb then "\tVmHWM \(.vm_hwm_kb) kB" else "" end)")
' "${RESULTS}" | tee "${OUT_DIR}/summary.txt"
