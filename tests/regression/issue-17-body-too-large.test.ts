// A 2 MB JSON body sent with Node's fetch got a connection error (EPIPE/ECONNRESET) instead of
// the 413 in more than half of the tries: the server answered and closed while the client was
// still writing. The server now reads (and drops) a refused body, up to a bound, before it answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser, TEST_SECRET } from '../setup/auth.js'
import { type ServerProcess, startServerProcess } from '../setup/process.js'

const TRIES = 30
const MB = 1024 * 1024
const bodyOf = (size: number) => JSON.stringify({ title: 'big', description: 'x'.repeat(size) })

/** Sends `body` `TRIES` times; counts the answers by status and the connection errors. */
async function sendAll(url: string, token: string, body: string, chunked: boolean) {
  const outcomes: Record<string, number> = {}
  for (let i = 0; i < TRIES; i++) {
    let outcome: string
    try {
      const payload = chunked
        ? new Blob([body]).stream() // no content-length: the server finds out while reading
        : body
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: payload,
        ...(chunked && { duplex: 'half' }),
      } as RequestInit)
      const answer = (await response.json()) as { code?: string; error?: { data?: { code?: string } } }
      outcome = `${response.status} ${answer.code ?? answer.error?.data?.code}`
    } catch (error) {
      outcome = `network error: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? error}`
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
  }
  return outcomes
}

describe('a request body over the limit', () => {
  // A server process of its own: in the test's own process the client and the server take
  // turns on one event loop, and the race that loses the answer never shows.
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: 'memory://', AUTH_JWT_SECRET: TEST_SECRET })
  })
  afterAll(() => server?.stop())

  it.each([
    ['REST', 2, false],
    ['REST', 8, false],
    ['REST', 8, true],
    ['tRPC', 2, false],
    ['tRPC', 8, false],
    ['tRPC', 8, true],
  ])('answers 413 every time at %s to %i MB (chunked: %s), never a connection error', async (door, size, chunked) => {
    const user = await newUser()
    const url = door === 'REST' ? `${server.url}/api/${user.id}/tasks` : `${server.url}/trpc/tasks.create`
    expect(await sendAll(url, user.token, bodyOf(size * MB), chunked)).toEqual({ '413 PAYLOAD_TOO_LARGE': TRIES })
  })
})
