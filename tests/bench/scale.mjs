// `pnpm bench:scale`: list (first page and the page after it), get, and at the largest size
// search, a label filter and sort=due, for ONE user holding 50, 5,000 and 100,000 tasks, on
// PostgreSQL, at the REST door; then the plans (EXPLAIN ANALYZE) of those queries at the
// largest size. Keyset paging and the indexes should keep first pages flat.
//   env: BENCH_DATABASE_URL (see run.mjs)  SIZES (50,5000,100000)  DURATION (s, 5)  CONNECTIONS (8)
import autocannon from 'autocannon'
import pg from 'pg'
import { fmt, freshPostgres, printTable, requireBuild, SECRET, startServer, tokenFor } from './lib.mjs'

requireBuild()
const SIZES = (process.env.SIZES ?? '50,5000,100000').split(',').map(Number)
const DURATION = Number(process.env.DURATION ?? 5)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 8)

const database = await freshPostgres('todo_bench_scale')
if (!database) process.exit(0) // no PostgreSQL: nothing to measure
const db = new pg.Client({ connectionString: database.url })
await db.connect()

async function measure(target, headers) {
  await autocannon({ url: target, headers, connections: CONNECTIONS, duration: 1 }) // warm-up
  const latencies = []
  const inst = autocannon({ url: target, headers, connections: CONNECTIONS, duration: DURATION })
  inst.on('response', (_c, status, _b, ms) => {
    if (status === 200) latencies.push(ms)
  })
  const result = await inst
  latencies.sort((a, b) => a - b)
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]
  return { rps: result['2xx'] / result.duration, p50: at(50), p99: at(99), bad: result.non2xx + result.errors }
}

const server = await startServer({ DATABASE_URL: database.url, AUTH_JWT_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: '0' })
const rows = []
try {
  for (const size of SIZES) {
    const user = crypto.randomUUID()
    await db.query('insert into users (id, email) values ($1, $2)', [user, `scale${size}@bench.invalid`])
    // Tasks 1 s apart, newest first in the list; every tenth one completed; 1 in 100 about
    // milk, 1 in 10 a report; labels Work (1 in 10) and Rare (1 in 1000); two in three dated.
    await db.query(
      `insert into tasks (user_id, title, description, completed, created_at, updated_at,
                          labels, label_keys, priority, due, position)
       select $1,
              case when g % 100 = 0 then 'Buy milk ' || g when g % 10 = 3 then 'Write the report ' || g
                   else 'Task ' || g end,
              case when g % 2 = 0 then 'Description ' || g end, g % 10 = 0,
              now() - g * interval '1 second', now() - g * interval '1 second',
              l.labels, l.keys, g % 4,
              case when g % 3 <> 0 then current_date + (g % 90) end,
              case when g % 5 = 0 then 'a' || lpad(g::text, 7, '0') end
         from generate_series(1, $2::int) g,
              lateral (select case when g % 1000 = 7 then '{Rare}'::text[] when g % 10 = 1 then '{Work}'::text[]
                                   else '{}'::text[] end as labels) w,
              lateral (select w.labels, (select coalesce(array_agg(lower(x)), '{}') from unnest(w.labels) x) as keys) l`,
      [user, size],
    )
    await db.query('vacuum analyze tasks')
    const { rows: some } = await db.query('select id from tasks where user_id = $1 order by random() limit 1', [user])
    const headers = { authorization: `Bearer ${await tokenFor(user, `scale${size}@bench.invalid`)}` }
    const base = `${server.url}/api/${user}/tasks`
    const first = await fetch(base, { headers })
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1]
    const cases = [
      ['list, first page (100)', base],
      ['list, next page (cursor)', next],
      ['get', `${base}/${some[0].id}`],
      ...(size === SIZES.at(-1)
        ? [
            ['search q=milk (1%)', `${base}?q=milk`],
            ['search q=report (10%)', `${base}?q=report`],
            ['label=work (10%)', `${base}?label=work`],
            ['label=rare (0.1%)', `${base}?label=rare`],
            ['sort=due', `${base}?sort=due`],
            ['sort=position', `${base}?sort=position`],
          ]
        : []),
    ]
    for (const [name, target] of cases) {
      if (!target) continue
      const r = await measure(target, headers)
      rows.push([String(size), name, fmt(r.rps, 0), fmt(r.p50, 1), fmt(r.p99, 1), String(r.bad)])
    }
  }
  const ISO_TIMES = ['completed_at', 'created_at', 'updated_at']
    .map((c) => `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${c}`)
    .join(', ')
  const COLUMNS = `id, user_id, title, description, completed, ${ISO_TIMES}, to_char(due, 'YYYY-MM-DD') as due, priority, labels, position, version`
  const { rows: biggest } = await db.query('select user_id from tasks group by user_id order by count(*) desc limit 1')
  // The statements listTasksForUser sends for these first pages (server/src/db/queries/tasks.ts).
  const query = (text) => `select ${COLUMNS} from tasks where user_id = $1 ${text} limit 101`
  const milk = `to_tsquery('simple', '''milk'':*')`
  const plans = [
    ['list', query('order by tasks.created_at desc, tasks.id desc')],
    [
      'q=milk',
      query(`and tasks.search @@ ${milk} order by ts_rank(tasks.search, ${milk})::float8 desc, tasks.id desc`).replace(
        'select ',
        `select ts_rank(tasks.search, ${milk})::float8 as rank, `,
      ),
    ],
    ['label=work', query(`and tasks.label_keys @> '{work}'::text[] order by tasks.created_at desc, tasks.id desc`)],
    ['sort=due', query(`order by coalesce(tasks.due, 'infinity'::date) asc, tasks.id asc`)],
  ]
  for (const [name, text] of plans) {
    const plan = await db.query(`explain (analyze, buffers, costs off) ${text}`, [biggest[0].user_id])
    console.log(`\n${name}, for the user with ${SIZES.at(-1)} tasks:`)
    for (const r of plan.rows) console.log(`  ${r['QUERY PLAN']}`)
  }
} finally {
  await server.stop()
  await db.end()
  await database.cleanup()
}
console.log(`\nREST door, PostgreSQL, one user; ${CONNECTIONS} connections, ${DURATION} s per row`)
printTable(['tasks of the user', 'request', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows)
