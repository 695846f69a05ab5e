// One anonymous client guessing one account's password could take the API down for everyone:
// each guess cost ~100 ms of scrypt on the thread pool where token checks also run, and the
// general per-IP limit let ~1000 a minute through. Now failed sign-ins have budgets per
// account and per address, one sign-in per account is checked at a time, and at most two
// hashes run at once. Measured like a benchmark, asserted as ratios: while the flood runs,
// other users keep at least half their throughput, a p99 within 2x, and at most 20 guesses
// are checked.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newUserId, TEST_SECRET, tokenFor } from '../setup/auth.js'
import { request } from '../setup/http.js'
import { type ServerProcess, startServerProcess } from '../setup/process.js'

const PHASE_MS = 5000
const USERS = 8
const flooder = fileURLToPath(new URL('../setup/login-flood.mjs', import.meta.url))

/** `USERS` users listing their tasks for `PHASE_MS`, each with a fresh token every other call. */
async function usersListing(base: string): Promise<{ calls: number; p99: number }> {
  const latencies: number[] = []
  const until = performance.now() + PHASE_MS
  await Promise.all(
    Array.from({ length: USERS }, async () => {
      const id = newUserId()
      let token = await tokenFor(id)
      for (let i = 0; performance.now() < until; i++) {
        if (i % 2 === 1) token = await tokenFor(id, { claims: { n: i } })
        const started = performance.now()
        const response = await fetch(`${base}/api/${id}/tasks`, { headers: { authorization: `Bearer ${token}` } })
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(`list answered ${response.status}`)
        latencies.push(performance.now() - started)
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  return { calls: latencies.length, p99: latencies[Math.floor(latencies.length * 0.99)]! }
}

describe('a flood of wrong passwords against one account', () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServerProcess({
      DATABASE_URL: inject('databaseUrl') ?? 'memory://',
      AUTH_JWT_SECRET: TEST_SECRET,
      RATE_LIMIT_PER_MINUTE: '1000000000',
      LOG_LEVEL: 'info',
    })
  })
  afterAll(() => server?.stop())

  it('leaves other users their service and checks at most 20 guesses', { timeout: 60_000 }, async () => {
    const email = `victim-${newUserId()}@example.com`
    const registered = await request(server.url, 'POST', '/api/auth/register', {
      body: { email, password: 'the real password' },
    })
    expect(registered.status).toBe(201)
    await usersListing(server.url) // warm-up
    const quiet = await usersListing(server.url)

    const flood = spawn(process.execPath, [flooder, server.url, email, '32'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let report = ''
    flood.stdout.on('data', (chunk) => (report += chunk))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const flooded = await usersListing(server.url)
    flood.kill('SIGTERM')
    await once(flood, 'exit')
    const answers = JSON.parse(report) as Record<string, number>

    console.info(
      `login flood: other users ${quiet.calls} -> ${flooded.calls} calls in ${PHASE_MS} ms, p99 ${quiet.p99.toFixed(1)} -> ${flooded.p99.toFixed(1)} ms; flood answers ${JSON.stringify(answers)}`,
    )
    expect(flooded.calls).toBeGreaterThanOrEqual(quiet.calls / 2)
    expect(flooded.p99).toBeLessThanOrEqual(quiet.p99 * 2)
    expect(answers['401'] ?? 0).toBeLessThanOrEqual(20)
    expect(answers['429']).toBeGreaterThan(0)
    // The account itself still signs in once the flood is over and its budget is back.
    expect(Object.keys(answers).filter((status) => !['401', '429', '503'].includes(status))).toEqual([])
  })
})
