# Shared scaffolding of the bench scripts (sourced, not run): a release server started
# and stopped on a port, a scratch PostgreSQL database per server, the machine's load
# recorded beside each run, and medians of the runs.
#
# The sourcing script sets BIN_DIR, PORT, OUT_DIR and PG_URL (a PostgreSQL server URL
# without a database) first; this file only defines functions and one EXIT trap.

BENCH_SERVER_PID=""
BENCH_DB=""

bench_log() { printf '==> %s\n' "$*" >&2; }

# bench_need_bins BIN...: every binary must be built in BIN_DIR.
bench_need_bins() {
    local bin
    for bin in "$@"; do
        [[ -x "${BIN_DIR}/${bin}" ]] || { bench_log "missing ${BIN_DIR}/${bin}: build it first"; exit 1; }
    done
}

# bench_raise_nofile N: raises this shell's open-file limit (inherited by the server and
# the load generator started from it) to at least N, as far as the hard limit allows.
bench_raise_nofile() {
    local want="$1" hard
    hard="$(ulimit -Hn)"
    if [[ "${hard}" != unlimited && "${hard}" -lt "${want}" ]]; then
        bench_log "ulimit -Hn is ${hard}, below the ${want} this run needs; raise it (limits.conf, or run as root)"
        want="${hard}"
    fi
    ulimit -n "${want}"
}

# bench_pg_up: whether PostgreSQL answers at PG_URL; when it does not, says why (psql's
# first line of error) and how to get the server and role the scripts expect, so that a
# skipped backend is never a silent one.
bench_pg_up() {
    local error
    error="$(psql "${PG_URL}/postgres" -qtAc 'select 1' 2>&1 >/dev/null)" && return 0
    bench_log "PostgreSQL does not answer at PG_URL: ${error%%$'\n'*}"
    bench_log "./scripts/test.sh, run as root, starts it and creates the authdb role; or set PG_URL"
    return 1
}

# bench_pg_create NAME: a fresh database (dropped by bench_pg_drop or on exit).
bench_pg_create() {
    BENCH_DB="$1"
    psql "${PG_URL}/postgres" -qc "create database ${BENCH_DB}"
}

bench_pg_drop() {
    [[ -n "${BENCH_DB}" ]] || return 0
    psql "${PG_URL}/postgres" -qc "drop database if exists ${BENCH_DB} with (force)" || true
    BENCH_DB=""
}

# bench_start_server LOG_FILE DATA_DIR DATABASE_URL|"" [NAME=VALUE...]: starts the
# server on PORT with a fresh data dir and the given settings, waits until it answers.
bench_start_server() {
    local log_file="$1" data_dir="$2" database_url="$3"
    shift 3
    local -a settings=("AUTHDB__DATA_DIR=${data_dir}" "AUTHDB__SERVER__BIND=127.0.0.1:${PORT}")
    [[ -n "${database_url}" ]] && settings+=("AUTHDB__DATABASE__URL=${database_url}")
    env -u AUTHDB__DATABASE__URL "${settings[@]}" "$@" "${BIN_DIR}/authdb" >"${log_file}" 2>&1 &
    BENCH_SERVER_PID=$!
    local _
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:${PORT}/health/live" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    bench_log "the server did not start, see ${log_file}"
    exit 1
}

bench_stop_server() {
    [[ -n "${BENCH_SERVER_PID}" ]] || return 0
    kill -TERM "${BENCH_SERVER_PID}" 2>/dev/null || true
    wait "${BENCH_SERVER_PID}" 2>/dev/null || true
    BENCH_SERVER_PID=""
}

# The machine's 1-minute load average now (recorded before each run: other work on the
# same cores makes the figures pessimistic).
bench_load() { cut -d' ' -f1 /proc/loadavg; }

# bench_median: the median of the numbers on stdin, one a line (the lower middle one of
# an even count).
bench_median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

trap 'bench_stop_server; bench_pg_drop' EXIT
