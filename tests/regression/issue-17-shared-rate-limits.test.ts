// Rate limits now run on @fastify/rate-limit, in memory by default and in Redis with REDIS_URL,
// so that every instance behind a balancer counts against one budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { restClient } from '../setup/http.js'
import { availableRedis } from '../setup/redis.js'
import { startServer, type TestServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

const redisUrl = await availableRedis('the shared rate limit test')

/** Two instances of the API on one database, with `env`. */
function twoInstances(env: Record<string, string>) {
  const servers: TestServer[] = []
  beforeAll(async () => {
    servers.push(await startServer(env), await startServer(env))
  })
  afterAll(async () => {
    for (const server of servers) await server.app.close()
  })
  return servers
}

/** Six list calls of one user on each instance, alternating: the statuses in order. */
async function twelveCalls(servers: TestServer[]) {
  const user = await newUser()
  const statuses: number[] = []
  let retryAfter: string | null = null
  for (let i = 0; i < 12; i++) {
    const response = await restClient(servers[i % 2]!.url, user.id, user.token).list()
    statuses.push(response.status)
    retryAfter ??= response.headers.get('retry-after')
  }
  return { user, statuses, retryAfter }
}

describe('rate limits kept in each process (no REDIS_URL)', () => {
  const servers = twoInstances({ RATE_LIMIT_PER_MINUTE: '10' })

  it('gives each instance its own budget', async () => {
    expect((await twelveCalls(servers)).statuses).toEqual(Array(12).fill(200))
  })
})

describe.skipIf(!redisUrl)('rate limits shared through Redis (REDIS_URL)', () => {
  const servers = twoInstances({ RATE_LIMIT_PER_MINUTE: '10', REDIS_URL: redisUrl ?? '' })

  it('counts the calls on both instances against one budget, with Retry-After', async () => {
    const { user, statuses, retryAfter } = await twelveCalls(servers)
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429])
    expect(Number(retryAfter)).toBeGreaterThan(0)
    expect(Number(retryAfter)).toBeLessThanOrEqual(60)
    const error = await trpcError(trpcClient(servers[1]!.url, user.token).tasks.list.query({ user_id: user.id }))
    expect(error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 })
  })
})
