#!/usr/bin/env bash
# Packs tracebox (npm pack runs prepack, which builds dist/), checks the tarball's contents
# and dependencies, then in an empty directory runs `npx ./tracebox-<version>.tgz` on free
# ports and smoke-tests it (scripts/smoke.ts). Uses its own npm cache, so npx installs and
# compiles better-sqlite3 afresh, as a user's first npx would on Node 20 (about 75-110 s
# here). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/tracebox-check-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

tgz=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "check-package: packed $tgz ($(du -k "$work/$tgz" | cut -f1) KiB) in $((SECONDS - start)) s"

# The tarball: built server and viewer, no sources, no single executable, one runtime dependency.
listing=$(tar -tzf "$work/$tgz")
for f in package/dist/cli.mjs package/dist/index.mjs package/dist/testing.mjs package/dist/web/index.html package/README.md; do
  grep -qx "$f" <<<"$listing" || { echo "check-package: $f missing from $tgz" >&2; exit 1; }
done
if grep -E '^package/(src|test|scripts|node_modules|dist/sea)/' <<<"$listing"; then
  echo "check-package: the tarball holds files it should not (above)" >&2; exit 1
fi
deps=$(tar -xOzf "$work/$tgz" package/package.json | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(Object.keys(JSON.parse(s).dependencies??{}).join(" ")))')
[ "$deps" = "better-sqlite3" ] || { echo "check-package: runtime dependencies are \"$deps\", expected only better-sqlite3" >&2; exit 1; }

# npx in an empty directory, with a cache of its own. -y because npx asks before installing
# (and this machine's npmrc says yes=false); --strict-allow-scripts proves that allowing
# better-sqlite3's install script is enough once npm blocks unreviewed scripts.
mkdir "$work/empty"
cp "$work/$tgz" "$work/empty/"
export npm_config_cache="$work/npm-cache"
t=$SECONDS
node --import tsx scripts/smoke.ts --cwd "$work/empty" --timeout 600 --process-group -- \
  npx -y --allow-scripts=better-sqlite3 --strict-allow-scripts "./$tgz" --memory --port 0 --otlp-http-port 0 --otlp-grpc-port 0
echo "check-package: npx install, start and smoke test took $((SECONDS - t)) s"
[ -z "$(ls -A "$work/empty" | grep -v "^$tgz\$")" ] || { echo "check-package: npx left files in the working directory:" >&2; ls -A "$work/empty" >&2; exit 1; }

# What npx installed: tracebox and better-sqlite3 with its own dependencies, nothing else of ours.
installed=$(echo "$npm_config_cache"/_npx/*/node_modules)
for pkg in hono @hono @grpc protobufjs; do
  [ ! -e "$installed/$pkg" ] || { echo "check-package: npx installed $pkg, which the bundle should inline" >&2; exit 1; }
done
echo "check-package: npx installed $(ls "$installed" | wc -l) packages, $(du -sm "$installed" | cut -f1) MB"

# The library entry points load from the installed package.
cd "$installed/.."
node --input-type=module -e "
  const { startTracebox } = await import('tracebox');
  await import('tracebox/testing');
  const tb = await startTracebox({ memory: true, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
  await tb.close();
  console.log('check-package: import(\"tracebox\") started and closed a server at ' + tb.apiUrl);"
echo "check-package: ok ($((SECONDS - start)) s)"
