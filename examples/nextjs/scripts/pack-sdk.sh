#!/bin/sh
# Packs the SDK (client-sdk/, built by its prepack) with npm into vendor/todo-api-client-sdk.tgz,
# the file package.json depends on: the app gets the SDK as an app outside this repository would.
# Needs the repository's `pnpm install` (the SDK's build tools).
#
# package-lock.json records that tarball without an integrity hash, on purpose: the tarball is
# rebuilt whenever the SDK changes, and with a hash `npm ci` would refuse the new one on a fresh
# machine (EINTEGRITY) and install the old one from npm's cache on this one. `npm install`
# writes the hash back; this script takes it out again.
set -eu
app=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

(cd "$app/../../client-sdk" && npm pack --pack-destination "$out" --loglevel=error >/dev/null)
mkdir -p "$app/vendor"
mv "$out"/*.tgz "$app/vendor/todo-api-client-sdk.tgz"
echo "packed the SDK into vendor/todo-api-client-sdk.tgz"

# The lock records the SDK's own dependencies too: when the SDK gains or changes one, the entry is
# stale and `npm ci` would build an app without it. Outside CI the entry is refreshed here
# (commit the new package-lock.json); in CI a stale entry is an error.
if [ -f "$app/package-lock.json" ]; then
  if ! node -e '
    const fs = require("node:fs")
    const [lockFile, sdkFile] = process.argv.slice(1)
    const entry = JSON.parse(fs.readFileSync(lockFile, "utf8")).packages["node_modules/@todo-api/client-sdk"]
    const wanted = JSON.parse(fs.readFileSync(sdkFile, "utf8")).dependencies ?? {}
    process.exit(entry && JSON.stringify(entry.dependencies ?? {}) === JSON.stringify(wanted) ? 0 : 1)
  ' "$app/package-lock.json" "$app/../../client-sdk/package.json"; then
    if [ "${CI:-}" = true ]; then
      echo "examples/nextjs/package-lock.json does not list the SDK's dependencies: run sh examples/nextjs/scripts/pack-sdk.sh and commit the lock" >&2
      exit 1
    fi
    node -e '
      const fs = require("node:fs")
      const file = process.argv[1]
      const lock = JSON.parse(fs.readFileSync(file, "utf8"))
      delete lock.packages["node_modules/@todo-api/client-sdk"]
      fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
    ' "$app/package-lock.json"
    (cd "$app" && npm install --package-lock-only --no-audit --no-fund --loglevel=error)
    echo "refreshed the SDK's entry in package-lock.json"
  fi
  node -e '
    const fs = require("node:fs")
    const file = process.argv[1]
    const lock = JSON.parse(fs.readFileSync(file, "utf8"))
    const entry = lock.packages["node_modules/@todo-api/client-sdk"]
    if (entry && "integrity" in entry) {
      delete entry.integrity
      fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
    }
  ' "$app/package-lock.json"
fi
