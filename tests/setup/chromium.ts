import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium (package chromium), or `CHROMIUM_PATH`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** As Chromium must run here: no sandbox (root), nothing reaching out to the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Whether Chromium is here; prints one line when the tests that need it are skipped. In CI
 * (`CI=true`) its absence is a failure: `.ci/run` installs it.
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(chromiumPath)) return true
  if (process.env.CI === 'true') throw new Error(`${what} needs Chromium at ${chromiumPath}, and CI must install it`)
  console.info(`skipped: ${what} needs Chromium (Debian package chromium) at ${chromiumPath}`)
  return false
}

/** A headless Chromium driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS })
}
