/** A response with its body read: JSON when the server said so, else text. */
export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface RequestOptions {
  token?: string
  /** A value to send as JSON, or a string sent as is. */
  body?: unknown
  headers?: Record<string, string>
}

/** One real HTTP request. JSON bodies get `content-type: application/json` unless given. */
export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  let body: string | undefined
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json'
    }
  }
  const response = await fetch(new URL(path, baseUrl), { method, headers, body })
  const text = await response.text()
  const json = response.headers.get('content-type')?.includes('application/json') && text !== ''
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text, text }
}

/** REST calls of one user, paths relative to `/api/{user_id}`. */
export function restClient(baseUrl: string, userId: string, token: string) {
  const call = (method: string, path: string, opts: Omit<RequestOptions, 'token'> = {}) =>
    request(baseUrl, method, `/api/${encodeURIComponent(userId)}/tasks${path}`, { token, ...opts })
  return {
    create: (body: unknown) => call('POST', '', { body }),
    list: (query = '') => call('GET', query ? `?${query}` : ''),
    get: (id: string) => call('GET', `/${id}`),
    update: (id: string, body: unknown) => call('PUT', `/${id}`, { body }),
    remove: (id: string) => call('DELETE', `/${id}`),
    complete: (id: string, body?: unknown) => call('PATCH', `/${id}/complete`, body === undefined ? {} : { body }),
    call,
  }
}
