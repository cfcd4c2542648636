#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration and end-to-end tests
# (`cargo test --workspace --all-targets`), then the doc tests, then (full runs only)
# ./scripts/api-checks.sh: the OpenAPI validator, schemathesis against a live server and
# the headless-Chromium check of /docs.
#
#   ./scripts/test.sh                      # everything
#   ./scripts/test.sh -p authdb-domain     # one package (unit + integration + doc tests)
#   ./scripts/test.sh -- some_test_name    # extra arguments go to `cargo test`
#
# PostgreSQL-backed tests read AUTHDB_TEST_PG_URL. When it is unset, the script
# makes sure a local PostgreSQL answers on 127.0.0.1:5432 with a login role
# authdb/authdb (CREATEDB), installing/starting PostgreSQL if it runs as root,
# and exports the default URL. When it is set, the script leaves the server
# alone and only checks that it answers.
#
# Environment:
#   AUTHDB_TEST_PG_URL     PostgreSQL URL for the tests (default: local, see above)
#   AUTHDB_TEST_PG_WAIT    seconds to wait for PostgreSQL to accept connections (default 30)
#   AUTHDB_TEST_PG_ONLY=1  only prepare/check PostgreSQL, run no cargo command
#   AUTHDB_SKIP_API_CHECKS=1  do not run ./scripts/api-checks.sh after a full run
#
# Redis: the tests start private redis-server processes; as root the script installs
# redis-server (apt-get) when it is missing.
#
# curl and jq: tests/e2e/readme.rs runs README's walk-through, which uses both; as root
# the script installs them (apt-get) when they are missing.
#
# SMTP peer: tests/e2e/mail.rs sends to a real SMTP server on loopback, Python's aiosmtpd
# in the virtualenv target/tools/venv (shared with ./scripts/api-checks.sh), and makes
# certificates with openssl. The script creates the virtualenv and installs the pinned
# aiosmtpd with pip when it is missing (python3-venv and openssl with apt-get as root).
# The same virtualenv gets the pinned msgpack for the binary protocol's Python client
# (crates/authdb-protocol/tests/python.rs runs tests/python/authdb_msgpack.py), websockets
# for that client over the real socket (tests/e2e/realtime_msgpack.rs), and pyotp and
# PyJWT for the second-factor tests (tests/e2e/mfa.rs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_HOST=127.0.0.1
PG_PORT=5432
PG_ROLE=authdb
PG_PASSWORD=authdb
DEFAULT_PG_URL="postgres://${PG_ROLE}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/postgres"
PG_WAIT="${AUTHDB_TEST_PG_WAIT:-30}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Prints "VERSION NAME STATUS" of the local cluster configured for $PG_PORT, if any.
local_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2, $4; exit }'
}

install_postgres() {
    log "PostgreSQL is not installed: installing it with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
}

# Makes sure a local cluster on $PG_PORT exists and is running.
ensure_local_postgres() {
    local cluster version name status
    cluster="$(local_cluster)"
    if [ -z "$cluster" ]; then
        if ! is_root; then
            log "No PostgreSQL cluster on port ${PG_PORT} and not running as root, so not installing one."
            log "To fix: as root run 'apt-get install -y postgresql' (or './scripts/test.sh' as root),"
            log "or point AUTHDB_TEST_PG_URL at a PostgreSQL where the tests may create databases."
            return 0
        fi
        if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
            install_postgres
        fi
        cluster="$(local_cluster)"
        if [ -z "$cluster" ]; then
            # Server installed but no cluster on our port (e.g. it was dropped): create one.
            version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)"
            [ -n "$version" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql after install"
            log "Creating PostgreSQL cluster ${version}/main on port ${PG_PORT}"
            pg_createcluster --port "$PG_PORT" "$version" main
            cluster="$(local_cluster)"
            [ -n "$cluster" ] || die "could not create a PostgreSQL cluster on port ${PG_PORT}"
        fi
    fi

    read -r version name status <<<"$cluster"
    case "$status" in
        online*) log "PostgreSQL cluster ${version}/${name} is online on port ${PG_PORT}" ;;
        *)
            if is_root; then
                log "Starting PostgreSQL cluster ${version}/${name} (status: ${status})"
                pg_ctlcluster "$version" "$name" start
            else
                log "PostgreSQL cluster ${version}/${name} is ${status} and this script is not root."
                log "To fix: run 'sudo pg_ctlcluster ${version} ${name} start' (or './scripts/test.sh' as root),"
                log "or point AUTHDB_TEST_PG_URL at a running PostgreSQL."
            fi
            ;;
    esac
}

# Waits (bounded) until PostgreSQL accepts connections.
wait_for_postgres() {
    local i
    local -a check
    if [ "$custom_url" = 1 ]; then
        check=(pg_isready -q -d "$AUTHDB_TEST_PG_URL")
    else
        check=(pg_isready -q -h "$PG_HOST" -p "$PG_PORT")
    fi
    if ! command -v pg_isready >/dev/null 2>&1; then
        if [ "$custom_url" = 1 ]; then
            log "pg_isready not found; not checking that AUTHDB_TEST_PG_URL answers"
            return 0
        fi
        die "pg_isready not found: install PostgreSQL ('apt-get install -y postgresql') or set AUTHDB_TEST_PG_URL"
    fi
    for ((i = 0; i < PG_WAIT; i++)); do
        if "${check[@]}"; then
            log "PostgreSQL accepts connections"
            return 0
        fi
        sleep 1
    done
    if [ "$custom_url" = 1 ]; then
        die "PostgreSQL at AUTHDB_TEST_PG_URL did not accept connections within ${PG_WAIT}s"
    fi
    die "PostgreSQL did not accept connections on ${PG_HOST}:${PG_PORT} within ${PG_WAIT}s.
  Check 'pg_lsclusters' and the log under /var/log/postgresql/; as root, './scripts/test.sh' starts it,
  or start it with 'sudo pg_ctlcluster <version> main start'; or set AUTHDB_TEST_PG_URL."
}

# Creates or updates the test role (idempotent). Needs root (runs psql as postgres).
ensure_role() {
    if ! is_root; then
        return 0
    fi
    log "Ensuring login role '${PG_ROLE}' (CREATEDB) exists"
    # The role name and password are fixed identifiers above, safe to inline.
    (cd / && su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p ${PG_PORT}") <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${PG_ROLE}') THEN
        CREATE ROLE ${PG_ROLE} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
    ELSE
        ALTER ROLE ${PG_ROLE} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
    END IF;
END
\$\$;
SQL
}

# Checks that the tests' URL can log in, when psql is available.
check_login() {
    command -v psql >/dev/null 2>&1 || return 0
    if ! psql -X -q -At -d "$AUTHDB_TEST_PG_URL" -c 'SELECT 1' >/dev/null; then
        if [ "$custom_url" = 1 ]; then
            die "cannot log in with AUTHDB_TEST_PG_URL"
        fi
        die "cannot log in to ${PG_HOST}:${PG_PORT} as '${PG_ROLE}'.
  As root, './scripts/test.sh' creates the role; or run as the postgres user:
    CREATE ROLE ${PG_ROLE} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';"
    fi
}

# ---------------------------------------------------------------- Redis
if ! command -v redis-server >/dev/null 2>&1; then
    if is_root; then
        log "redis-server is not installed: installing it with apt-get"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null 2>&1; then
            apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
        fi
        # The tests start their own instances; the packaged service is not needed.
        systemctl disable --now redis-server >/dev/null 2>&1 || true
    else
        log "redis-server not found and not root: the shared-Redis tests will fail (apt-get install redis-server)"
    fi
fi

# ---------------------------------------------------------------- curl and jq
missing_tools=()
for tool in curl jq; do
    command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool")
done
if [ "${#missing_tools[@]}" -gt 0 ]; then
    if is_root; then
        log "${missing_tools[*]} not installed: installing with apt-get (README's walk-through test needs them)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_tools[@]}" >/dev/null 2>&1; then
            apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_tools[@]}" >/dev/null
        fi
    else
        log "${missing_tools[*]} not found and not root: README's walk-through test will fail (apt-get install ${missing_tools[*]})"
    fi
fi

# ---------------------------------------------------------------- SMTP peer
AIOSMTPD_VERSION=1.4.6
VENV="$PWD/target/tools/venv"
apt_get_install() {
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    fi
}
if ! command -v openssl >/dev/null 2>&1; then
    if is_root; then
        log "openssl not installed: installing with apt-get (the STARTTLS test makes certificates with it)"
        apt_get_install openssl
    else
        log "openssl not found and not root: the STARTTLS test will fail (apt-get install openssl)"
    fi
fi
if [ "$("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null)" != "$AIOSMTPD_VERSION" ]; then
    log "installing aiosmtpd $AIOSMTPD_VERSION into $VENV (the SMTP tests' peer)"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        is_root || die "python3 -m venv failed and not root: install python3-venv (apt-get install python3-venv)"
        apt_get_install python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
fi
# The binary protocol's Python client (tests/python/authdb_msgpack.py, run by
# crates/authdb-protocol/tests/python.rs) needs msgpack, in the same virtualenv.
MSGPACK_VERSION=1.1.2
if [ "$("$VENV/bin/python" -c 'import msgpack; print(".".join(map(str, msgpack.version)))' 2>/dev/null)" != "$MSGPACK_VERSION" ]; then
    log "installing msgpack $MSGPACK_VERSION into $VENV (the binary protocol's Python client)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "msgpack==$MSGPACK_VERSION"
fi
# The same client over the real socket (tests/python/ws_client.py, run by
# tests/e2e/realtime_msgpack.rs) uses websockets (BSD-3-Clause).
WEBSOCKETS_VERSION=15.0.1
if [ "$("$VENV/bin/python" -c 'import websockets; print(websockets.__version__)' 2>/dev/null)" != "$WEBSOCKETS_VERSION" ]; then
    log "installing websockets $WEBSOCKETS_VERSION into $VENV (the binary socket's Python client)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "websockets==$WEBSOCKETS_VERSION"
fi
# The second-factor tests (tests/e2e/mfa.rs) compute TOTP codes with pyotp and read the
# access tokens' amr/auth_time with PyJWT: independent implementations, same virtualenv.
PYOTP_VERSION=2.12.1
PYJWT_VERSION=2.15.1
if [ "$("$VENV/bin/python" -c 'import pyotp, jwt; from importlib.metadata import version; print(version("pyotp"), jwt.__version__)' 2>/dev/null)" != "$PYOTP_VERSION $PYJWT_VERSION" ]; then
    log "installing pyotp $PYOTP_VERSION and PyJWT $PYJWT_VERSION into $VENV (the second-factor tests)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pyotp==$PYOTP_VERSION" "PyJWT==$PYJWT_VERSION"
fi

# ---------------------------------------------------------------- PostgreSQL
if [ -n "${AUTHDB_TEST_PG_URL:-}" ]; then
    custom_url=1
    log "Using AUTHDB_TEST_PG_URL from the environment; not touching the local PostgreSQL"
else
    custom_url=0
    export AUTHDB_TEST_PG_URL="$DEFAULT_PG_URL"
    ensure_local_postgres
fi
wait_for_postgres
if [ "$custom_url" = 0 ]; then
    ensure_role
fi
check_login
log "AUTHDB_TEST_PG_URL=$(printf '%s' "$AUTHDB_TEST_PG_URL" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#')"

if [ "${AUTHDB_TEST_PG_ONLY:-0}" = 1 ]; then
    # For checking the PostgreSQL setup alone.
    log "AUTHDB_TEST_PG_ONLY=1: PostgreSQL is ready; not running cargo"
    exit 0
fi

# ---------------------------------------------------------------- cargo test
# Cargo ignores -p when --workspace is given, and --all-targets overrides a
# target selection, so only add those flags when the caller chose none.
package_args=(--workspace)
target_args=(--all-targets)
# One failing test binary must not hide the others' results.
run_args=(--no-fail-fast)
for arg in "$@"; do
    case "$arg" in
        --) break ;;
        -p | -p?* | --package | --package=* | --workspace | --all | --exclude | --exclude=* | --manifest-path | --manifest-path=*)
            package_args=() ;;
        --lib | --bins | --bin | --bin=* | --examples | --example | --example=* | --tests | --test | --test=* | \
            --benches | --bench | --bench=* | --all-targets | --doc)
            target_args=() ;;
    esac
done

if [ -t 1 ]; then
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"
fi

output="$(mktemp -t authdb-test.XXXXXX)"
doc_output=""
trap 'rm -f "$output" ${doc_output:+"$doc_output"}' EXIT

status=0
log "cargo test ${run_args[*]} ${package_args[*]} ${target_args[*]} $*"
cargo test "${run_args[@]}" "${package_args[@]}" "${target_args[@]}" "$@" 2>&1 | tee -a "$output" || status=$?

# Doc tests are not part of --all-targets; run them unless a target was chosen.
if [ "${#target_args[@]}" -gt 0 ]; then
    doc_status=0
    log "cargo test ${package_args[*]} --doc $*"
    doc_output="$(mktemp -t authdb-doctest.XXXXXX)"
    cargo test "${package_args[@]}" --doc "$@" 2>&1 | tee "$doc_output" || doc_status=$?
    cat "$doc_output" >>"$output"
    # A package with only binaries (e.g. -p authdb-loadgen) has no doc tests.
    if [ "$doc_status" -ne 0 ] && grep -q 'error: no library targets found' "$doc_output"; then
        doc_status=0
    fi
    rm -f "$doc_output"
    if [ "$status" -eq 0 ]; then
        status=$doc_status
    fi
fi

# The live-server checks, on full runs only (no arguments).
if [ "$#" -eq 0 ] && [ "${AUTHDB_SKIP_API_CHECKS:-0}" != 1 ]; then
    api_status=0
    log "./scripts/api-checks.sh"
    ./scripts/api-checks.sh 2>&1 | tee -a "$output" || api_status=$?
    if [ "$status" -eq 0 ]; then
        status=$api_status
    fi
fi

# One closing line for the whole run, summed over every test binary.
sed 's/\x1b\[[0-9;]*m//g' "$output" | awk '
    /^test result: / {
        for (i = 1; i <= NF; i++) {
            if ($(i) ~ /^passed/) passed += $(i - 1)
            if ($(i) ~ /^failed/) failed += $(i - 1)
            if ($(i) ~ /^ignored/) ignored += $(i - 1)
        }
    }
    END { printf "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }'

exit "$status"
