import 'server-only'

/**
 * The server's settings, read from the environment when a request is served, never at
 * `next build`: none is a `NEXT_PUBLIC_` variable (those are inlined into the bundle at build
 * time), so one build runs against any API. See `.env.example`.
 */
export interface ServerEnv {
  /** This app's public origin: Better Auth's base URL and the `iss` of its tokens. */
  authUrl: string
  /** Better Auth's secret (cookies, encrypted keys): 32+ random characters. */
  authSecret: string
  /** The `aud` of the tokens: the API's `AUTH_AUDIENCE`, exactly. */
  apiAudience: string
  /** Where this server reaches the API (server components). */
  apiUrl: string
  /** Where browsers reach the API (client components); the same as `apiUrl` unless set. */
  apiPublicUrl: string
}

let cached: ServerEnv | undefined

/** The settings; throws one error naming every missing variable. */
export function serverEnv(): ServerEnv {
  if (cached) return cached
  const missing: string[] = []
  const read = (name: string) => {
    const value = process.env[name]?.trim()
    if (!value) missing.push(name)
    return value ?? ''
  }
  const env = {
    authUrl: read('BETTER_AUTH_URL'),
    authSecret: read('BETTER_AUTH_SECRET'),
    apiAudience: read('TODO_API_AUDIENCE'),
    apiUrl: read('TODO_API_URL'),
    apiPublicUrl: process.env.TODO_API_PUBLIC_URL?.trim() ?? '',
  }
  if (missing.length > 0) throw new Error(`Set ${missing.join(', ')} (see .env.example)`)
  cached = { ...env, apiPublicUrl: env.apiPublicUrl || env.apiUrl }
  return cached
}
