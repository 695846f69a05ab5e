// `pnpm bench:start`: the embedded default. Time from spawn to the first `GET /health` 200, and the
// RSS then and after a short load, for `pnpm start` (tsx) and the production build, on a fresh
// data folder (first start: initdb + migrations) and on an existing one.
//   env: RUNS (per case, default 3; the table shows the median)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import {
  fmt,
  mainJs,
  nodeFlags,
  printTable,
  repoRoot,
  requireBuild,
  rssMb,
  SECRET,
  startServer,
  tokenFor,
} from './lib.mjs'

requireBuild()
const RUNS = Number(process.env.RUNS ?? 3)
const pnpm = process.env.npm_execpath
const commands = {
  'pnpm start (tsx)': pnpm ? [process.execPath, pnpm, 'start'] : null,
  'pnpm start:prod': [process.execPath, ...nodeFlags, mainJs],
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b)
  return s.length ? s[s.length >> 1] : null
}

/** One user, 50 tasks, then 3 s of list/get at 8 connections: the RSS of a server in use. */
async function exercise(url) {
  const id = crypto.randomUUID()
  const headers = {
    authorization: `Bearer ${await tokenFor(id, 'start@bench.invalid')}`,
    'content-type': 'application/json',
  }
  for (let i = 0; i < 50; i++) {
    await fetch(`${url}/api/${id}/tasks`, { method: 'POST', headers, body: JSON.stringify({ title: `Task ${i}` }) })
  }
  await autocannon({ url: `${url}/api/${id}/tasks`, headers, connections: 8, duration: 3 })
}

const rows = []
for (const [name, command] of Object.entries(commands)) {
  if (!command) {
    console.error(`bench:start: ${name} skipped (run through pnpm)`)
    continue
  }
  const fresh = []
  const existing = []
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'todo-start-'))
    try {
      for (const [label, into] of [
        ['fresh', fresh],
        ['existing', existing],
      ]) {
        const server = await startServer(
          { DATABASE_URL: `file:${dir}`, AUTH_JWT_SECRET: SECRET, ...(name.includes('tsx') && { NODE_ENV: '' }) },
          { command, cwd: repoRoot, pin: false },
        )
        const atHealth = rssMb(server.pid)
        await exercise(server.url)
        const afterLoad = rssMb(server.pid)
        await server.stop()
        into.push({ ms: server.startMs, atHealth, afterLoad })
        console.error(
          `bench:start: ${name} ${label}: ${Math.round(server.startMs)} ms, RSS ${fmt(atHealth, 0)} MB, after load ${fmt(afterLoad, 0)} MB`,
        )
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  for (const [label, runs] of [
    ['fresh ./.data', fresh],
    ['existing ./.data', existing],
  ]) {
    rows.push([
      name,
      label,
      fmt(median(runs.map((r) => r.ms)), 0),
      fmt(median(runs.map((r) => r.atHealth)), 0),
      fmt(median(runs.map((r) => r.afterLoad)), 0),
    ])
  }
}
console.log(`\nmedian of ${RUNS} runs; RSS is the whole process tree (pnpm and tsx included where they run)`)
printTable(['command', 'data folder', 'ms to first /health 200', 'RSS at /health MB', 'RSS after 3 s of load MB'], rows)
