import { type BuildOptions, buildApp, type Config, loadConfig } from '@todo/server'
import { afterAll, beforeAll } from 'vitest'
import { TEST_SECRET } from './auth.js'
import { testDatabase } from './database.js'

export interface TestServer {
  app: Awaited<ReturnType<typeof buildApp>>
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  config: Config
}

/** Environment of test servers; a test may override any variable. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: 'memory://',
    AUTH_JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_LOGIN_LIMITS: 'false',
    ...overrides,
  }
}

/** Builds the app (on this worker's database unless given one) and listens on a free loopback port. */
export async function startServer(env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const config = loadConfig(testEnv(env))
  const app = await buildApp(config, { ...options, database: options.database ?? (await testDatabase()) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no port')
  return { app, url: `http://127.0.0.1:${address.port}`, config }
}

/** A server for the whole file: started before its tests, closed after. */
export function useServer(env: Record<string, string> = {}, options: BuildOptions = {}): TestServer {
  const server = {} as TestServer
  beforeAll(async () => {
    Object.assign(server, await startServer(env, options))
  })
  afterAll(async () => {
    await server.app?.close()
  })
  return server
}
