#!/usr/bin/env bash
# Builds the single executable (npm run build:sea) and smoke-tests a copy of it in an empty
# directory (scripts/smoke.ts): OTLP/HTTP and OTLP/gRPC in, Tempo API and viewer out,
# in memory and with a data directory. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
npm run --silent build:sea

work=$(mktemp -d "${TMPDIR:-/tmp}/tracebox-check-sea.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy away from the repository, and its own TMPDIR, so the embedded addon is written out afresh.
mkdir "$work/tmp"
cp dist/sea/tracebox "$work/tracebox"
export TMPDIR="$work/tmp"
"$work/tracebox" --version

ports=(--port 0 --otlp-http-port 0 --otlp-grpc-port 0)
node --import tsx scripts/smoke.ts --cwd "$work" -- "$work/tracebox" --memory "${ports[@]}"
node --import tsx scripts/smoke.ts --cwd "$work" -- "$work/tracebox" --data "$work/data" "${ports[@]}"
test -s "$work/data/tracebox.db"
echo "check-sea: ok ($((SECONDS - start)) s, $(du -m dist/sea/tracebox | cut -f1) MB binary)"
