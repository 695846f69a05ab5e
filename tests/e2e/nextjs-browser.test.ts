import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { createTokenStore } from '../../examples/nextjs/lib/token-store.js'
import { chromiumPath, launchChromium } from '../setup/chromium.js'
import { type ServerProcess, startServerProcess } from '../setup/process.js'
import { testEnv } from '../setup/server.js'

/**
 * The example Next.js app (examples/nextjs, built) in a real Chromium, against the API run as
 * a real process that trusts the app's Better Auth. Needs Chromium and the app's build
 * (`examples/nextjs/scripts/ci-prepare.sh`): without them it is skipped, except in CI
 * (`CI=true`), where that is a failure.
 */

const exampleDir = fileURLToPath(new URL('../../examples/nextjs/', import.meta.url))
const artifactsDir = process.env.TEST_ARTIFACTS_DIR ?? fileURLToPath(new URL('./artifacts/', import.meta.url))
const missing = [
  !existsSync(chromiumPath) && `Chromium (${chromiumPath})`,
  !existsSync(join(exampleDir, 'node_modules/next')) && 'examples/nextjs/node_modules',
  !existsSync(join(exampleDir, '.next/BUILD_ID')) && 'the build in examples/nextjs/.next',
].filter((what): what is string => Boolean(what))
const inCi = process.env.CI === 'true'

const PASSWORD = 'a long enough password'

interface User {
  name: string
  email: string
  id: string
}

/** A user id from a JWT's payload (read, not verified: what the page sent is what counts). */
function subjectOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub
}

/** The same token with another `sub`: its signature no longer matches. */
function tamper(token: string, sub: string): string {
  const [header, payload, signature] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())
  return [header, Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url'), signature].join('.')
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/**
 * `next start` of the built example, with only the environment it needs, in a process group of
 * its own: `next start` runs the server in a child process, which `stop` ends with it.
 */
async function startNext(
  port: number,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [join(exampleDir, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'],
    {
      cwd: exampleDir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    process.kill(-child.pid!, 'SIGTERM')
    await exited
  }
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 30_000
  while (!/Ready in/.test(output)) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`next start did not get ready:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { child, output: () => output, stop }
}

describe('the example app token helper', () => {
  it('hands out a token only for the user it was minted for, and forgets all on clear', async () => {
    const jwt = (sub: string) =>
      `e30.${Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 900 })).toString('base64url')}.sig`
    let session = 'ada'
    let fetched = 0
    const store = createTokenStore(async () => {
      fetched++
      return jwt(session)
    })
    expect(subjectOf((await store.get('ada'))!)).toBe('ada')
    expect(subjectOf((await store.get('ada'))!)).toBe('ada')
    expect(fetched).toBe(1)
    // Ada signs out, Bob signs in: Ada's cached token is never Bob's.
    store.clear()
    session = 'bob'
    expect(subjectOf((await store.get('bob'))!)).toBe('bob')
    // A view still showing Ada gets no token of Bob's session either.
    expect(await store.get('ada')).toBeNull()
  })
})

if (missing.length > 0 && !inCi) {
  // One line, printed as is (not as a console block of the test).
  process.stderr.write(
    `nextjs-browser: skipped, needs ${missing.join(', ')} (run examples/nextjs/scripts/ci-prepare.sh)\n`,
  )
  describe.skip('the example Next.js app in Chromium', () => {
    it('runs', () => {})
  })
} else {
  describe('the example Next.js app in Chromium', () => {
    let api: ServerProcess | undefined
    let next: Awaited<ReturnType<typeof startNext>> | undefined
    let browser: Browser | undefined
    let appUrl: string
    let apiUrl: string
    const contexts: BrowserContext[] = []
    const ada = { name: 'Ada', email: `ada-${randomBytes(4).toString('hex')}@example.com`, id: '' }
    const bob = { name: 'Bob', email: `bob-${randomBytes(4).toString('hex')}@example.com`, id: '' }
    let adaPage: Page
    let bobPage: Page

    beforeAll(async () => {
      if (missing.length > 0)
        throw new Error(`missing ${missing.join(', ')}: run examples/nextjs/scripts/ci-prepare.sh`)
      const [appPort, apiPort] = await Promise.all([freePort(), freePort()])
      appUrl = `http://127.0.0.1:${appPort}`
      apiUrl = `http://127.0.0.1:${apiPort}`
      // allSettled: whatever did start is stopped in afterAll even if another part failed.
      const [apiStart, nextStart, browserStart] = await Promise.allSettled([
        startServerProcess(
          testEnv({
            PORT: String(apiPort),
            LOG_LEVEL: 'info', // startServerProcess waits for the "listening" line
            DATABASE_URL: inject('databaseUrl') ?? 'memory://',
            // The API trusts the app's Better Auth: its keys, its issuer (its base URL, exactly)
            // and the audience its tokens are minted for (the API's own URL).
            AUTH_JWKS_URL: `${appUrl}/api/auth/jwks`,
            AUTH_ISSUER: appUrl,
            AUTH_AUDIENCE: apiUrl,
            CORS_ORIGINS: appUrl,
          }),
        ),
        startNext(appPort, {
          BETTER_AUTH_URL: appUrl,
          BETTER_AUTH_SECRET: randomBytes(32).toString('base64'),
          TODO_API_URL: apiUrl,
          TODO_API_AUDIENCE: apiUrl,
        }),
        launchChromium(),
      ])
      if (apiStart.status === 'fulfilled') api = apiStart.value
      if (nextStart.status === 'fulfilled') next = nextStart.value
      if (browserStart.status === 'fulfilled') browser = browserStart.value
      for (const result of [apiStart, nextStart, browserStart]) if (result.status === 'rejected') throw result.reason
    }, 90_000)

    afterAll(async () => {
      await browser?.close()
      await next?.stop()
      await api?.stop()
    })

    beforeEach(({ onTestFailed, task }) => {
      onTestFailed(async () => {
        mkdirSync(artifactsDir, { recursive: true })
        const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)
        const pages = contexts.flatMap((context) => context.pages())
        await Promise.all(
          pages.map((page, index) =>
            page.screenshot({ path: join(artifactsDir, `${name}-${index}.png`), fullPage: true }),
          ),
        )
        console.error(`nextjs-browser: ${pages.length} screenshot(s) in ${artifactsDir}; servers said:`)
        console.error(`${api?.output().slice(-3000)}\n${next?.output().slice(-3000)}`)
      })
    })

    async function newPage(): Promise<Page> {
      const context = await browser!.newContext()
      contexts.push(context)
      return context.newPage()
    }

    const taskItem = (page: Page, title: string) => page.getByTestId('task').filter({ hasText: title })
    const titles = (page: Page) => page.getByTestId('task').locator('.title').allTextContents()

    async function signUp(page: Page, user: User) {
      await page.goto(`${appUrl}/sign-in`)
      await page.getByRole('button', { name: 'Create an account' }).click()
      await page.getByLabel('Name').fill(user.name)
      await page.getByLabel('Email').fill(user.email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.getByTestId('signed-in-as').filter({ hasText: user.email }).waitFor()
      const session = await (await page.request.get(`${appUrl}/api/auth/get-session`)).json()
      user.id = session.user.id
    }

    async function signIn(page: Page, user: User) {
      await page.getByLabel('Email').fill(user.email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await page.getByTestId('signed-in-as').filter({ hasText: user.email }).waitFor()
    }

    /** Resolves with the next answer of the API to `procedure`. */
    const answerOf = (page: Page, procedure: string) =>
      page.waitForResponse((response) => response.url().startsWith(`${apiUrl}/trpc/${procedure}`))

    async function addTask(page: Page, title: string) {
      const form = page.getByRole('form', { name: 'New task' })
      await form.getByLabel('Title').fill(title)
      const created = answerOf(page, 'tasks.create')
      await form.getByRole('button', { name: 'Add task' }).click()
      expect((await created).status()).toBe(200)
      await taskItem(page, title).and(page.locator(':not([aria-busy])')).waitFor()
    }

    it('signs two users up, each in a browser context of their own', async () => {
      adaPage = await newPage()
      bobPage = await newPage()
      await Promise.all([signUp(adaPage, ada), signUp(bobPage, bob)])
      expect(ada.id).not.toBe(bob.id)
      expect(await titles(adaPage)).toEqual([])
    })

    it('creates, edits, toggles and deletes; each user sees only their own tasks', async () => {
      await addTask(adaPage, 'Buy milk')
      await addTask(adaPage, 'Call the plumber')
      await addTask(bobPage, 'Fix the bike')

      await adaPage.getByRole('button', { name: 'Edit Buy milk' }).click()
      const edit = adaPage.getByRole('form', { name: 'Edit Buy milk' })
      await edit.getByLabel('Title').fill('Buy oat milk')
      await edit.getByLabel('Description').fill('2 litres')
      const updated = answerOf(adaPage, 'tasks.update')
      await edit.getByRole('button', { name: 'Save' }).click()
      expect((await updated).status()).toBe(200)
      await taskItem(adaPage, 'Buy oat milk').filter({ hasText: '2 litres' }).waitFor()

      const completed = answerOf(adaPage, 'tasks.complete')
      await taskItem(adaPage, 'Call the plumber').getByRole('checkbox').click()
      expect((await completed).status()).toBe(200)

      const deleted = answerOf(adaPage, 'tasks.delete')
      await adaPage.getByRole('button', { name: 'Delete Buy oat milk' }).click()
      expect((await deleted).status()).toBe(200)
      await taskItem(adaPage, 'Buy oat milk').waitFor({ state: 'detached' })

      // After a reload, from the server component's REST call: what the API kept.
      await Promise.all([adaPage.reload(), bobPage.reload()])
      expect(await titles(adaPage)).toEqual(['Call the plumber'])
      expect(await taskItem(adaPage, 'Call the plumber').getByRole('checkbox').isChecked()).toBe(true)
      expect(await titles(bobPage)).toEqual(['Fix the bike'])
      const html = await (await adaPage.request.get(`${appUrl}/tasks`)).text()
      expect(html).toContain('Call the plumber')
      expect(html).not.toContain('Fix the bike')
    })

    it('shows the API’s validation errors next to the field', async () => {
      const form = adaPage.getByRole('form', { name: 'New task' })
      await form.getByLabel('Title').fill('   ')
      const refused = answerOf(adaPage, 'tasks.create')
      await form.getByRole('button', { name: 'Add task' }).click()
      expect((await refused).status()).toBe(400)
      const error = adaPage.locator('#new-title-error')
      await error.waitFor()
      expect(await error.textContent()).toMatch(/empty/i)
      expect(await form.getByLabel('Title').getAttribute('aria-describedby')).toBe('new-title-error')
      // The optimistic task was taken back out.
      expect(await titles(adaPage)).toEqual(['Call the plumber'])

      await adaPage.getByRole('button', { name: 'Edit Call the plumber' }).click()
      const edit = adaPage.getByRole('form', { name: 'Edit Call the plumber' })
      await edit.getByLabel('Title').fill('x'.repeat(201))
      await edit.getByRole('button', { name: 'Save' }).click()
      await edit.locator('.field-error').waitFor()
      expect(await edit.locator('.field-error').textContent()).toMatch(/200/)
      await edit.getByRole('button', { name: 'Cancel' }).click()
      expect(await titles(adaPage)).toEqual(['Call the plumber'])
    })

    it('pages through the list (tasks.page, from the REST first page)', async () => {
      const { token } = await (await bobPage.request.get(`${appUrl}/api/auth/token`)).json()
      for (let index = 1; index <= 11; index++) {
        const response = await fetch(`${apiUrl}/api/${bob.id}/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: `Chore ${index}` }),
        })
        expect(response.status).toBe(201)
      }
      await bobPage.reload()
      expect(await titles(bobPage)).toHaveLength(10)
      const more = answerOf(bobPage, 'tasks.page')
      await bobPage.getByRole('button', { name: 'Load more' }).click()
      expect((await more).status()).toBe(200)
      await bobPage.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' })
      await expect
        .poll(() => titles(bobPage))
        .toEqual([...Array.from({ length: 11 }, (_, i) => `Chore ${11 - i}`), 'Fix the bike'])
    })

    it('keeps every open tab live: a change in one tab or through REST shows in the others', async () => {
      const otherTab = await adaPage.context().newPage()
      await otherTab.goto(`${appUrl}/tasks`)
      const live = (page: Page) => page.locator('[data-testid="live"][data-live="true"]').waitFor()
      await Promise.all([live(adaPage), live(otherTab)])
      const checkbox = (page: Page, title: string) => taskItem(page, title).getByRole('checkbox')

      // Created in one tab: in the other one without a reload, once (the creating tab also gets
      // the event of its own create, and the client-chosen id makes it the same task).
      const started = Date.now()
      await addTask(adaPage, 'Water the plants')
      await taskItem(otherTab, 'Water the plants').waitFor()
      const createdAfter = Date.now() - started
      expect(await titles(otherTab)).toEqual(['Water the plants', 'Call the plumber'])
      expect(await titles(adaPage)).toEqual(['Water the plants', 'Call the plumber'])

      // Toggled and edited in the other tab: seen in the first.
      const completed = answerOf(otherTab, 'tasks.complete')
      await checkbox(otherTab, 'Water the plants').click()
      expect((await completed).status()).toBe(200)
      await expect.poll(() => checkbox(adaPage, 'Water the plants').isChecked()).toBe(true)

      // Through the REST door (another device, another language): seen in both tabs.
      const { token } = await (await adaPage.request.get(`${appUrl}/api/auth/token`)).json()
      const created = await fetch(`${apiUrl}/api/${ada.id}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Renew the passport' }),
      })
      expect(created.status).toBe(201)
      const { id } = (await created.json()) as { id: string }
      await Promise.all([
        taskItem(adaPage, 'Renew the passport').waitFor(),
        taskItem(otherTab, 'Renew the passport').waitFor(),
      ])
      const renamed = await fetch(`${apiUrl}/api/${ada.id}/tasks/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Renew the passport before May' }),
      })
      expect(renamed.status).toBe(200)
      await Promise.all([
        taskItem(adaPage, 'Renew the passport before May').waitFor(),
        taskItem(otherTab, 'Renew the passport before May').waitFor(),
      ])

      // Deleted in the first tab: gone from the other.
      const deleted = answerOf(adaPage, 'tasks.delete')
      await adaPage.getByRole('button', { name: 'Delete Water the plants' }).click()
      expect((await deleted).status()).toBe(200)
      await taskItem(otherTab, 'Water the plants').waitFor({ state: 'detached' })
      expect(await titles(otherTab)).toEqual(['Renew the passport before May', 'Call the plumber'])

      // Bob's list heard none of it.
      expect(await titles(bobPage)).not.toContain('Renew the passport before May')
      await otherTab.close()
      console.info(`nextjs-browser: a task created in one tab appeared in the other after ${createdAfter} ms`)
    })

    it("after sign-out and sign-in as another user in the same tab, never sends the first user's token", async () => {
      const sent: { sub: string; at: number; forBob: boolean }[] = []
      await adaPage.route(`${apiUrl}/**`, async (route) => {
        const request = route.request()
        const authorization = await request.headerValue('authorization')
        if (authorization) {
          const names = `${decodeURIComponent(request.url())} ${request.postData() ?? ''}`
          const sub = subjectOf(authorization.replace(/^Bearer /, ''))
          sent.push({ sub, at: Date.now(), forBob: names.includes(bob.id) })
        }
        await route.continue()
      })
      await addTask(adaPage, 'Ada was here')
      expect(sent.length).toBeGreaterThan(0)
      expect(new Set(sent.map((request) => request.sub))).toEqual(new Set([ada.id]))

      await adaPage.getByRole('button', { name: 'Sign out' }).click()
      await adaPage.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
      await signIn(adaPage, bob)
      const signedIn = Date.now()
      await addTask(adaPage, 'Bob in Ada’s tab')
      const completed = answerOf(adaPage, 'tasks.complete')
      await taskItem(adaPage, 'Bob in Ada’s tab').getByRole('checkbox').click()
      expect((await completed).status()).toBe(200)
      await adaPage.unroute(`${apiUrl}/**`)

      // Ada's own requests may still be on their way when she signs out; after Bob has signed
      // in, and for Bob's tasks at any time, only Bob's token.
      const afterSignIn = sent.filter((request) => request.at >= signedIn)
      expect(afterSignIn.length).toBeGreaterThan(0)
      expect(afterSignIn.filter((request) => request.sub !== bob.id)).toEqual([])
      expect(sent.filter((request) => request.forBob && request.sub !== bob.id)).toEqual([])
      expect(await titles(adaPage)).not.toContain('Ada was here')
    })

    it('refuses a tampered token (401) and rolls the optimistic change back', async () => {
      // Bob's token with Ada's id as subject, as a page script could forge it; the request is
      // held until the optimistic change has been seen.
      let release = () => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      await adaPage.route(`${apiUrl}/trpc/tasks.complete**`, async (route) => {
        await held
        const authorization = (await route.request().headerValue('authorization')) ?? ''
        const forged = tamper(authorization.replace(/^Bearer /, ''), ada.id)
        await route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${forged}` } })
      })
      const checkbox = taskItem(adaPage, 'Bob in Ada’s tab').getByRole('checkbox')
      const refused = answerOf(adaPage, 'tasks.complete')
      await checkbox.click()
      await expect.poll(() => checkbox.isChecked()).toBe(false)
      release()
      const answer = await refused
      expect(answer.status()).toBe(401)
      expect(answer.headers()['www-authenticate']).toMatch(/invalid_token/)
      await adaPage.getByTestId('list-error').waitFor()
      expect(await adaPage.getByTestId('list-error').textContent()).toMatch(/UNAUTHORIZED/)
      await expect.poll(() => checkbox.isChecked()).toBe(true)
      await adaPage.unroute(`${apiUrl}/trpc/tasks.complete**`)

      // The same forgery straight at the REST door.
      const { token } = await (await adaPage.request.get(`${appUrl}/api/auth/token`)).json()
      const forged = await fetch(`${apiUrl}/api/${ada.id}/tasks`, {
        headers: { authorization: `Bearer ${tamper(token, ada.id)}` },
      })
      expect(forged.status).toBe(401)
    })
  })
}
