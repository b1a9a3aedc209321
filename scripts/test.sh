#!/bin/sh
# Runs every test file. Node 20's test runner takes no glob, and with no files it
# passes silently, so the list is built here and an empty list is an error.
set -e
files=$(find test -name '*.test.ts' | sort)
if [ -z "$files" ]; then
  echo "no test files found under test/" >&2
  exit 1
fi
npx tsc -p tsconfig.json --noEmit
node scripts/build.mjs
# shellcheck disable=SC2086
exec node --import tsx --test --test-reporter=spec --test-reporter-destination=stdout $files
