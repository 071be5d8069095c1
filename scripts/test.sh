#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine as on a developer's: installs what is
# missing (Debian packages incl. Chromium and CJK fonts, the Python venv with pkilint, the
# npm packages of the browser tests), starts PostgreSQL when none is reachable and moto's
# S3-compatible server (unless CERTHALL_TEST_S3_ENDPOINT names one), then runs
# formatting and lint checks, every Rust test with cargo nextest, the browser tests
# (Playwright driving Debian's Chromium; screenshots in target/screenshots/), and a
# schema-driven fuzzing of the REST API (schemathesis, bounded in time).
#
#   scripts/test.sh [extra nextest arguments]
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/certhall-target, reused between runs),
# CERTHALL_TEST_VENV (default ~/.cache/certhall-venv), CERTHALL_TEST_POSTGRES_URL (an
# admin URL of a PostgreSQL server to use instead of the local one), CERTHALL_FUZZ_SECONDS
# (seconds of each of the two schemathesis runs, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/certhall-target}"
export CERTHALL_TEST_VENV="${CERTHALL_TEST_VENV:-$HOME/.cache/certhall-venv}"
step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

# --- Debian packages -------------------------------------------------------------------
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v softhsm2-util >/dev/null || missing+=(softhsm2)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null || missing+=(opensc)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v gcc >/dev/null || missing+=(build-essential)
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo-nextest >/dev/null || { step "installing cargo-nextest"; cargo install --locked cargo-nextest; }

# --- Python venv: pkilint, asn1crypto + gmssl for the independent SM2 verifier, and
# schemathesis for the API fuzzing ---------------------------------------------------------
if ! "$CERTHALL_TEST_VENV/bin/python" -c 'import pkilint, asn1crypto, gmssl, schemathesis, moto.server' 2>/dev/null; then
    step "creating the Python venv $CERTHALL_TEST_VENV"
    python3 -m venv "$CERTHALL_TEST_VENV"
    "$CERTHALL_TEST_VENV/bin/pip" install -q --disable-pip-version-check -r tests/tools/requirements.txt
fi
"$CERTHALL_TEST_VENV/bin/python" tests/tools/sm2_verify.py self-test

# --- PostgreSQL ------------------------------------------------------------------------
if [ -z "${CERTHALL_TEST_POSTGRES_URL:-}" ]; then
    export CERTHALL_TEST_POSTGRES_URL="postgres://certhall:certhall@127.0.0.1:5432/postgres"
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        step "starting PostgreSQL"
        version=$(ls /usr/lib/postgresql | sort -n | tail -1)
        if ! pg_lsclusters -h | grep -q "^$version main"; then
            as_root pg_createcluster "$version" main >/dev/null
        fi
        as_root pg_ctlcluster "$version" main start
        for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    as_postgres psql -q -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'certhall'" | grep -q 1 \
        || as_postgres psql -q -c "CREATE ROLE certhall LOGIN PASSWORD 'certhall' CREATEDB"
fi
# Databases left by earlier runs.
for db in $(psql "$CERTHALL_TEST_POSTGRES_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'certhall_test_%'"); do
    psql "$CERTHALL_TEST_POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $db" || true
done

# --- S3-compatible object storage: moto's server on a free port of 127.0.0.1 -------------
if [ -z "${CERTHALL_TEST_S3_ENDPOINT:-}" ]; then
    s3_port=$("$CERTHALL_TEST_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    step "starting moto's S3 server on 127.0.0.1:$s3_port"
    "$CERTHALL_TEST_VENV/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >/dev/null 2>&1 &
    s3_pid=$!
    trap 'kill "$s3_pid" 2>/dev/null || true' EXIT
    export CERTHALL_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
    for _ in $(seq 50); do
        "$CERTHALL_TEST_VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $s3_port), 1)" 2>/dev/null && break
        sleep 0.2
    done
fi

# --- Rust ------------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo nextest"
cargo nextest run --workspace --locked --no-fail-fast "$@"

# --- Browser tests ---------------------------------------------------------------------
# The debug binary nextest just built, in a real Chromium; npm packages from the lock file.
step "browser tests (Playwright, Debian's Chromium)"
(
    cd tests/browser
    # Installs again when the lock file names a package node_modules lacks.
    npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund --loglevel=error
    CERTHALL_BIN="$CARGO_TARGET_DIR/debug/certhall" npm test --silent
)

# --- API fuzzing -------------------------------------------------------------------------
# schemathesis against /api/v1/openapi.json of the debug binary, as a customer and as the
# console administrator: no 5xx and no status the document does not list.
step "API fuzzing (schemathesis, ${CERTHALL_FUZZ_SECONDS:-60} s per session)"
"$CERTHALL_TEST_VENV/bin/python" tests/tools/fuzz_api.py "$CARGO_TARGET_DIR/debug/certhall" "${CERTHALL_FUZZ_SECONDS:-60}"
