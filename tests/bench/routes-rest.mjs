// Route adapter of the REST door (the contract's paths), same exports as routes-trpc.mjs.
const base = (u) => `/api/${u.id}/tasks`

export const list = (u) => ({ method: 'GET', path: base(u) })
export const get = (u, taskId) => ({ method: 'GET', path: `${base(u)}/${taskId}` })
export const create = (u, input) => ({ method: 'POST', path: base(u), body: input })
export const update = (u, taskId, input) => ({ method: 'PUT', path: `${base(u)}/${taskId}`, body: input })
export const toggle = (u, taskId) => ({ method: 'PATCH', path: `${base(u)}/${taskId}/complete` })
export const remove = (u, taskId) => ({ method: 'DELETE', path: `${base(u)}/${taskId}` })
export const changes = (u, since) => ({
  method: 'GET',
  path: `${base(u)}/changes${since ? `?since=${encodeURIComponent(since)}` : ''}`,
})

export function parseCreated(status, bodyText) {
  if (status !== 201) return null
  try {
    return JSON.parse(bodyText).id ?? null
  } catch {
    return null
  }
}
export function parseCursor(status, bodyText) {
  if (status !== 200) return null
  try {
    return JSON.parse(bodyText).cursor ?? null
  } catch {
    return null
  }
}
export const unwrap = (json) => json
export const expectStatus = { list: 200, get: 200, create: 201, update: 200, toggle: 200, remove: 204 }
