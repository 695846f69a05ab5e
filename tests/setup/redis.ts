import { connect } from 'node:net'

/** Where the tests look for Redis: `TEST_REDIS_URL`, else the local default. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * The URL of a Redis that answers PING, or undefined (with one line saying the tests that need
 * it are skipped). In CI (`CI=true`) a missing Redis is a failure, not a skip: `.ci/run` starts one.
 */
export async function availableRedis(what: string): Promise<string | undefined> {
  const { hostname, port } = new URL(REDIS_URL)
  const answers = await new Promise<boolean>((resolve) => {
    const socket = connect(Number(port || 6379), hostname)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
  if (answers) return REDIS_URL
  if (process.env.CI === 'true')
    throw new Error(`${what} needs Redis at ${REDIS_URL} (redis-server), and CI must run it`)
  console.info(`skipped: ${what} needs Redis (redis-server) at ${REDIS_URL}`)
  return undefined
}
