// Route adapter of the tRPC door for the shared bench harness (its ROUTES / PRODUCT_ROUTES),
// and for `pnpm bench`. Same exports as the harness's routes/rest.mjs: every builder returns
// { method, path, body? }. tRPC's HTTP conventions, no batching, no transformer: queries are
// GET /trpc/<procedure>?input=<urlencoded JSON>, mutations POST /trpc/<procedure> with the
// input as the JSON body; success is 200 with {"result":{"data":…}}.
const PREFIX = process.env.TRPC_PREFIX ?? '/trpc'
const q = (procedure, input) => ({
  method: 'GET',
  path: `${PREFIX}/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
})
const m = (procedure, input) => ({ method: 'POST', path: `${PREFIX}/${procedure}`, body: input })

export const list = (u) => q('tasks.list', { user_id: u.id })
export const get = (u, taskId) => q('tasks.get', { user_id: u.id, id: taskId })
export const create = (u, input) => m('tasks.create', { user_id: u.id, ...input })
export const update = (u, taskId, input) => m('tasks.update', { user_id: u.id, id: taskId, ...input })
export const toggle = (u, taskId) => m('tasks.complete', { user_id: u.id, id: taskId })
export const remove = (u, taskId) => m('tasks.delete', { user_id: u.id, id: taskId })
export const changes = (u, since) => q('tasks.changes', { user_id: u.id, ...(since && { since }) })

export function parseCreated(status, bodyText) {
  if (status < 200 || status > 299) return null
  try {
    return JSON.parse(bodyText).result.data.id ?? null
  } catch {
    return null
  }
}
export function parseCursor(status, bodyText) {
  if (status !== 200) return null
  try {
    return JSON.parse(bodyText).result.data.cursor ?? null
  } catch {
    return null
  }
}
export const unwrap = (json) => json?.result?.data
export const expectStatus = { list: 200, get: 200, create: 200, update: 200, toggle: 200, remove: 200 }
