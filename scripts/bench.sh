#!/usr/bin/env bash
# Benchmarks of docs/PERFORMANCE.md. Prints figures; asserts nothing.
#
#   scripts/bench.sh [sign|crl|documents|flood|issue|ocsp|notices|all]     (default: all)
#
# Uses the release binary, scratch data directories under a temp dir, wrk as the load
# generator on this machine (installed when missing) and, for the PostgreSQL figures, the
# local PostgreSQL that scripts/test.sh sets up (or CERTHALL_BENCH_POSTGRES_URL, an admin URL).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/certhall-target}"
what="${1:-all}"
DURATION="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
command -v wrk >/dev/null || { sudo_or() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }; sudo_or apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/certhall"
SCRATCH=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$SCRATCH"; }
trap cleanup EXIT

# start_server NAME [DATABASE_URL] -> sets PORT
start_server() {
    local dir="$SCRATCH/$1"; mkdir -p "$dir"
    local env=(CERTHALL_DATA_DIR="$dir/data" CERTHALL_LOG=warn)
    [ -n "${2:-}" ] && env+=(CERTHALL_DATABASE_URL="$2")
    env "${env[@]}" "$BIN" ca list >/dev/null
    TOKEN=$(env "${env[@]}" "$BIN" token create --name bench 2>/dev/null)
    env "${env[@]}" "$BIN" serve --listen 127.0.0.1:0 2> "$dir/serve.log" &
    PIDS+=($!)
    for _ in $(seq 100); do
        PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/serve.log" | grep -o '[0-9]*$' || true)
        [ -n "$PORT" ] && break; sleep 0.1
    done
    DIR="$dir"; ENVS=("${env[@]}")
}

csr_body() { # FAMILY -> JSON body file
    local family=$1 key="$SCRATCH/$1.key" csr="$SCRATCH/$1.csr"
    case $family in
        ecdsa) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$key" -subj "/CN=bench" -out "$csr" 2>/dev/null ;;
        rsa) openssl req -new -newkey rsa:2048 -nodes -keyout "$key" -subj "/CN=bench" -out "$csr" 2>/dev/null ;;
        sm2) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$key" 2>/dev/null
             openssl req -new -key "$key" -sm3 -sigopt distid:1234567812345678 -subj "/CN=bench" -out "$csr" ;;
    esac
    python3 -c 'import json,sys; print(json.dumps({"ca": sys.argv[1] + "-ca", "profile": "person-sign", "csr": open(sys.argv[2]).read()}))' "$family" "$csr" > "$SCRATCH/$family.json"
    echo "$SCRATCH/$family.json"
}

rate_of() { grep 'Requests/sec' | awk '{printf "%.0f", $2}'; }

bench_issue() { # LABEL DATABASE_URL
    local label=$1 url=${2:-}
    start_server "issue-$label" "$url"
    for family in ecdsa sm2 rsa; do
        local body; body=$(csr_body $family)
        local out; out=$(BODY_FILE="$body" TOKEN="$TOKEN" wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s scripts/bench/issue.lua "http://127.0.0.1:$PORT/api/v1/certificates")
        local stored; stored=$(env "${ENVS[@]}" "$BIN" audit list --action certificate.issue --limit 100000000 | wc -l)
        printf 'issuance over HTTP, %-9s %-6s: %6s certificates/s  (p50 %s, p99 %s; %s)\n' "$label" "$family" \
            "$(echo "$out" | rate_of)" "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" \
            "$(echo "$out" | grep 'non-201')"
    done
    echo "  certificates stored with their audit events: $stored (audit chain: $(env "${ENVS[@]}" "$BIN" audit verify))"
}

bench_ocsp() {
    start_server ocsp
    local ca="$SCRATCH/ocsp-ca.pem"
    env "${ENVS[@]}" "$BIN" ca cert --ca ecdsa-ca > "$ca"
    local csr; csr=$(csr_body ecdsa)
    local cert="$SCRATCH/ocsp-leaf.pem"
    env "${ENVS[@]}" "$BIN" ca issue --ca ecdsa-ca --profile person-sign --csr "$SCRATCH/ecdsa.csr" > "$cert" 2>/dev/null
    openssl ocsp -issuer "$ca" -cert "$cert" -no_nonce -reqout "$SCRATCH/req.der" 2>/dev/null
    openssl ocsp -issuer "$ca" -cert "$cert" -reqout "$SCRATCH/req-nonce.der" 2>/dev/null
    local b64; b64=$(base64 -w0 "$SCRATCH/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
    local out
    out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$PORT/ocsp/$b64")
    printf 'OCSP over HTTP, cached (GET, no nonce)        : %6s responses/s  (p99 %s)\n' "$(echo "$out" | rate_of)" "$(echo "$out" | awk '$1=="99%"{print $2}')"
    out=$(REQ_FILE="$SCRATCH/req-nonce.der" wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s scripts/bench/ocsp_post.lua "http://127.0.0.1:$PORT/ocsp")
    printf 'OCSP over HTTP, uncached (POST with nonce, P-256 signature each): %6s responses/s  (p99 %s)\n' "$(echo "$out" | rate_of)" "$(echo "$out" | awk '$1=="99%"{print $2}')"
}

postgres_url() {
    local admin="${CERTHALL_BENCH_POSTGRES_URL:-postgres://certhall:certhall@127.0.0.1:5432/postgres}"
    local name="certhall_bench_$$"
    psql "$admin" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    echo "${admin%/*}/$name"
}

echo "machine: $(nproc) cores, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2 | xargs)"
case $what in
    sign|all) "$BIN" bench sign --seconds 3 ;;&
    crl|all) for n in 100000 1000000; do CERTHALL_LOG=warn "$BIN" bench crl --entries $n --family ecdsa; done ;;&
    documents|all) "$BIN" --data-dir "$SCRATCH/documents" bench documents --seconds 3 ;;&
    flood|all) "$BIN" bench flood --requests 1000 ;;&
    issue|all) bench_issue sqlite; bench_issue postgresql "$(postgres_url)" ;;&
    ocsp|all) bench_ocsp ;;&
    notices|all) # the in-process application, release build, the simulator on 127.0.0.1
        cargo nextest run --release --locked -p certhall-web --test in_process --run-ignored only \
            -E 'test(bench_notices)' --no-capture 2>&1 | grep -E '^(set-up|payment notices|audit chain)' ;;
    sign|crl|documents|flood|issue|ocsp) ;;
    *) echo "usage: $0 [sign|crl|documents|flood|issue|ocsp|notices|all]"; exit 2 ;;
esac
