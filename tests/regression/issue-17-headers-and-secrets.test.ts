// Headers and secrets: helmet's headers with a Content-Security-Policy under which the
// local /docs page still works (in a real Chromium), bearer tokens only from the Authorization
// header, and no Authorization header, cookie or password in any log line.
import { Writable } from 'node:stream'
import { buildApp, loadConfig } from '@todo/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { chromiumAvailable, launchChromium } from '../setup/chromium.js'
import { testDatabase } from '../setup/database.js'
import { request } from '../setup/http.js'
import { testEnv, useServer } from '../setup/server.js'

describe('security headers', () => {
  const server = useServer()

  it('sends helmet’s headers and a Content-Security-Policy on every answer', async () => {
    for (const path of ['/docs', '/health', '/api/openapi.json']) {
      const { headers } = await request(server.url, 'GET', path)
      expect(headers.get('content-security-policy'), path).toContain("default-src 'self'")
      expect(headers.get('content-security-policy'), path).not.toContain('upgrade-insecure-requests')
      expect(headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(headers.get('x-frame-options'), path).toBe('SAMEORIGIN')
    }
  })

  it('never takes a bearer token from the query string', async () => {
    const user = await newUser()
    for (const query of [`access_token=${user.token}`, `token=${user.token}`, `authorization=Bearer%20${user.token}`]) {
      const response = await request(server.url, 'GET', `/api/${user.id}/tasks?${query}`)
      expect(response.status, query).toBe(401)
      const trpc = await request(
        server.url,
        'GET',
        `/trpc/tasks.list?input=%7B%22user_id%22%3A%22${user.id}%22%7D&${query}`,
      )
      expect(trpc.status, query).toBe(401)
    }
  })
})

const runsChromium = chromiumAvailable('the /docs page under its Content-Security-Policy')

describe.skipIf(!runsChromium)('/docs in Chromium, under the Content-Security-Policy', () => {
  const server = useServer()

  it('renders the operations and breaks no rule of the policy', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const problems: string[] = []
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text())
      })
      page.on('pageerror', (error) => problems.push(error.message))
      await page.goto(`${server.url}/docs`)
      await page
        .locator('.opblock-summary-path', { hasText: '/{user_id}/tasks/{id}/complete' })
        .first()
        .waitFor({ timeout: 15_000 })
      expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(9)
      expect(problems).toEqual([])
    } finally {
      await browser.close()
    }
  })
})

describe('the log', () => {
  const lines: string[] = []
  let server: Awaited<ReturnType<typeof buildApp>>
  let url: string
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean))
        done()
      },
    })
    server = await buildApp(loadConfig(testEnv({ LOG_LEVEL: 'trace' })), {
      database: await testDatabase(),
      logStream: sink,
    })
    url = await server.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => server?.close())

  it('holds no Authorization header, cookie or password, whatever the call', async () => {
    const user = await newUser()
    const password = 'correct horse battery staple 42'
    const email = `${user.id}@example.com`
    const cookie = 'session=very-secret-cookie-value'
    await request(url, 'POST', '/api/auth/register', { body: { email, password }, headers: { cookie } })
    await request(url, 'POST', '/api/auth/login', { body: { email, password: `${password}!` }, headers: { cookie } })
    await request(url, 'POST', '/trpc/auth.login', { body: { email, password }, headers: { cookie } })
    await request(url, 'GET', `/api/${user.id}/tasks`, { token: user.token, headers: { cookie } })
    await request(url, 'GET', `/api/${user.id}/tasks?access_token=${user.token}`, { headers: { cookie } })
    await request(url, 'GET', `/api/${user.id}/tasks`, { token: `${user.token}x` })
    await request(url, 'POST', `/api/${user.id}/tasks`, { token: user.token, body: '{"title":' })
    expect(lines.filter((line) => line.includes(`"msg":"request"`))).toHaveLength(7)
    const log = lines.join('\n')
    for (const secret of [user.token, user.token.split('.')[2]!, password, 'very-secret-cookie-value']) {
      expect(log).not.toContain(secret)
    }
    expect(log).not.toMatch(/authorization"\s*:\s*"Bearer/i)
  })
})
