#!/usr/bin/env bash
# Runs the test-API examples in examples/testing/ (node:test, Vitest, Jest) against this
# checkout: builds dist/, installs the examples' own devDependencies into
# examples/testing/node_modules ("tracebox": "file:../.." is a symlink to the repository,
# so better-sqlite3 comes from the repository's node_modules: run `npm ci` here first),
# checks that nothing was compiled on install, then runs the three, with CI=true so a
# missing trace snapshot fails instead of being written. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
start=$SECONDS
fail() { echo "check-examples: $*" >&2; exit 1; }

[ -d node_modules/better-sqlite3 ] || fail "node_modules/better-sqlite3 is missing: run npm ci in $repo first"

t=$SECONDS
node scripts/build.mjs
echo "check-examples: built dist/ in $((SECONDS - t)) s"

cd examples/testing
t=$SECONDS
# --no-save: use package-lock.json as it is; its "../.." entry copies the root package.json's
# dependencies, and a check should not rewrite it when they change.
npm install --no-save --no-audit --no-fund --loglevel=error
echo "check-examples: npm install in examples/testing took $((SECONDS - t)) s"

# tracebox is the repository itself, and its native addon is the repository's copy.
[ "$(realpath node_modules/tracebox)" = "$repo" ] || fail "node_modules/tracebox is not a link to $repo"
[ ! -e node_modules/better-sqlite3 ] || fail "better-sqlite3 was installed (and built) a second time in examples/testing"
sqlite=$(node --input-type=module -e "
  import { createRequire } from 'node:module';
  import fs from 'node:fs';
  const require = createRequire(fs.realpathSync('node_modules/tracebox/package.json'));
  console.log(fs.realpathSync(require.resolve('better-sqlite3')));")
case $sqlite in "$repo/node_modules/better-sqlite3/"*) ;; *) fail "tracebox loads better-sqlite3 from $sqlite";; esac
# Native code comes prebuilt in platform packages; node-gyp output means something compiled.
built=$(find node_modules -path '*/build/Release/*.node' 2>/dev/null | head -n 5)
[ -z "$built" ] || fail "install compiled native code: $built"

status=0
for runner in node vitest jest; do
  t=$SECONDS
  if env -u TRACEBOX_UPDATE_SNAPSHOTS CI=true npm run --silent "test:$runner"; then
    echo "check-examples: $runner example passed in $((SECONDS - t)) s"
  else
    echo "check-examples: $runner example FAILED after $((SECONDS - t)) s" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || fail "an example failed (above)"
echo "check-examples: ok ($((SECONDS - start)) s)"
