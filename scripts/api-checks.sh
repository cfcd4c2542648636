#!/usr/bin/env bash
# Checks the running server against its own OpenAPI document, as a client would:
#
#   1. the document validates with openapi-spec-validator (OpenAPI 3.1);
#   2. schemathesis calls every operation with generated valid and invalid data, signed in
#      with a bearer token: no 5xx, no undocumented status, no response that violates its
#      schema, content type or headers, 405s with Allow (positive_data_acceptance is left out:
#      the password policy and the email/username rules are configurable or stricter than
#      JSON Schema says);
#   3. headless Chromium (Debian's chromium, playwright-core) loads /docs, sees the operations,
#      signs in through Authorize and runs GET /api/v1/auth/me from the page; screenshots are
#      kept in target/test-output/docs/;
#   4. passkeys in headless Chromium with the DevTools virtual authenticator
#      (tests/browser/passkeys.mjs): register, sign in with and without a login name, a
#      cloned authenticator refused and audited, removal. Over http://localhost:PORT, the
#      relying party of the default configuration;
#   5. the web console in headless Chromium (tests/browser/console.mjs): sign in with a
#      password and a TOTP code, every page, change a member's role, send and withdraw an
#      invitation, the Platform pages as a superuser made with `authdb create-superuser`
#      (deactivate and reactivate a user, edit a licence, suspend and unsuspend an
#      organization, the outbox), end a session, sign out; axe-core on every page
#      (no WCAG A/AA violation); screenshots in target/test-output/console/.
#
# Installs what it needs when missing (as root): chromium (apt), a Python virtualenv with
# the pinned tools in target/tools/venv (pip), playwright-core in tests/browser (npm).
# Run by ./scripts/test.sh after the cargo tests; on its own: ./scripts/api-checks.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
VENV="$ROOT/target/tools/venv"
OUT="$ROOT/target/test-output"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'api-checks.sh: error: %s\n' "$*" >&2; exit 1; }

passed=0
failed=0
result() {
    if [ "$1" = 0 ]; then
        passed=$((passed + 1)); log "PASS: $2"
    else
        failed=$((failed + 1)); log "FAIL: $2"
    fi
}

apt_install() {
    [ "$(id -u)" -eq 0 ] || die "$* missing and not root: install with apt-get install -y $*"
    log "installing $* with apt-get"
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
        apt-get update -q
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
        || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# ---------------------------------------------------------------- tools
[ -x "$CHROMIUM" ] || apt_install chromium
command -v node >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -x "$VENV/bin/schemathesis" ] || [ ! -x "$VENV/bin/openapi-spec-validator" ] \
    || [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    log "creating $VENV with openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION and schemathesis $SCHEMATHESIS_VERSION"
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; }
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    log "installing playwright-core and axe-core (npm ci in tests/browser)"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# ---------------------------------------------------------------- server
log "building the authdb binary"
cargo build -q -p authdb-server
work="$(mktemp -d -t authdb-api-checks.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
mkdir -p "$OUT"
AUTHDB__DATA_DIR="$work/data" AUTHDB__SERVER__BIND="127.0.0.1:$port" AUTHDB__AUTH__BCRYPT_COST=4 \
    AUTHDB__RATE_LIMIT__ENABLED=false NO_COLOR=1 \
    "${CARGO_TARGET_DIR:-$ROOT/target}/debug/authdb" >"$OUT/api-checks-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/health/live" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || die "the server exited; see $OUT/api-checks-server.log"
    sleep 0.2
done
curl -fsS "$base/health/live" >/dev/null || die "the server did not answer; see $OUT/api-checks-server.log"
log "authdb listens on $base"

PASSWORD='Checks-Secret-1'
sign_up() {
    curl -fsS -X POST "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
        -d "{\"email\": \"$1@example.com\", \"username\": \"$1\", \"password\": \"$PASSWORD\"}" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# ---------------------------------------------------------------- 1. validator
curl -fsS "$base/api-docs/openapi.json" -o "$OUT/openapi.json"
status=0
"$VENV/bin/openapi-spec-validator" "$OUT/openapi.json" || status=$?
result "$status" "the OpenAPI document validates (openapi-spec-validator)"

# ---------------------------------------------------------------- 2. schemathesis
checks=(--checks all --exclude-checks positive_data_acceptance)
# Schemathesis keeps a cache in its working directory: run it from the output directory.
cd "$OUT"
common=(--max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" --seed 42 --no-color --request-timeout 10
    --report junit --report-dir "$OUT/schemathesis")
token="$(sign_up checker)"
status=0
# Operations that end the session whose token the run uses get a run (and token) each.
ending=(/api/v1/auth/logout /api/v1/auth/logout-all)
excluded=()
for path in "${ending[@]}"; do excluded+=(--exclude-path "$path"); done
"$VENV/bin/schemathesis" run "$base/api-docs/openapi.json" -H "Authorization: Bearer $token" \
    "${checks[@]}" "${common[@]}" "${excluded[@]}" || status=$?
result "$status" "schemathesis: every operation but ${ending[*]}"
for path in "${ending[@]}"; do
    token="$(sign_up "leaver$RANDOM")"
    status=0
    "$VENV/bin/schemathesis" run "$base/api-docs/openapi.json" -H "Authorization: Bearer $token" \
        "${checks[@]}" "${common[@]}" --include-path "$path" || status=$?
    result "$status" "schemathesis: $path"
done
if grep -q 'panicked' "$OUT/api-checks-server.log"; then
    result 1 "the server did not panic under schemathesis"
fi

# ---------------------------------------------------------------- 3. browser
cd "$ROOT"
token="$(sign_up browser)"
status=0
CHROMIUM="$CHROMIUM" node tests/browser/docs.mjs "$base" "$token" browser "$PASSWORD" "$OUT/docs" || status=$?
result "$status" "the /docs page in headless Chromium (screenshots in target/test-output/docs/)"

# ---------------------------------------------------------------- 4. passkeys
status=0
CHROMIUM="$CHROMIUM" node tests/browser/passkeys.mjs "http://localhost:$port" "$OUT/passkeys" || status=$?
result "$status" "passkeys in headless Chromium with a virtual authenticator (tests/browser/passkeys.mjs)"

# ---------------------------------------------------------------- 5. console
# A superuser for the Platform pages, made as an operator makes one (beside the running
# server, on its database).
superuser=platformroot
AUTHDB__DATA_DIR="$work/data" AUTHDB__AUTH__BCRYPT_COST=4 AUTHDB_SUPERUSER_PASSWORD="$PASSWORD" NO_COLOR=1 \
    "${CARGO_TARGET_DIR:-$ROOT/target}/debug/authdb" create-superuser \
    --email "$superuser@example.com" --username "$superuser" >/dev/null \
    || log "authdb create-superuser failed: the console walk's Platform pages will fail"
status=0
AUTHDB_OUTBOX="$work/data/outbox" AUTHDB_SUPERUSER="$superuser" AUTHDB_SUPERUSER_PASSWORD="$PASSWORD" \
    CHROMIUM="$CHROMIUM" node tests/browser/console.mjs "$base" "$OUT/console" || status=$?
result "$status" "the web console in headless Chromium with axe-core (screenshots in target/test-output/console/)"

# In cargo's words, so ./scripts/test.sh adds these to its closing count.
if [ "$failed" -eq 0 ]; then outcome=ok; else outcome=FAILED; fi
echo "test result: ${outcome}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out (api-checks)"
[ "$failed" -eq 0 ]
