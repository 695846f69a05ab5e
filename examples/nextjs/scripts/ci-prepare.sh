#!/bin/sh
# Everything tests/e2e/nextjs-browser.test.ts needs, as CI prepares it: Chromium (Debian's,
# installed when missing and run as root in CI), the SDK packed into vendor/, the app's own
# dependencies (`npm ci`: this app is not part of the pnpm workspace) and its production build.
# Run from anywhere, after the repository's `pnpm install`.
set -eu
app=$(cd "$(dirname "$0")/.." && pwd)
export NEXT_TELEMETRY_DISABLED=1
started=$(date +%s)
step() { printf '== [%ss] %s\n' "$(($(date +%s) - started))" "$*"; }

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "no Chromium at /usr/bin/chromium: the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi

step 'packing the SDK'
sh "$app/scripts/pack-sdk.sh"

step 'npm ci (examples/nextjs)'
(cd "$app" && npm ci --no-audit --no-fund --loglevel=error)

step 'next build'
(cd "$app" && npx --no-install next build)

echo "examples/nextjs ready in $(($(date +%s) - started)) s"
