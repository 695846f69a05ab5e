/** What both clients are made from. */
export interface TodoClientOptions {
  /**
   * Where the API is served, e.g. `https://api.example.com` (a trailing slash is fine);
   * the clients add `/trpc` and `/api`.
   */
  baseUrl: string
  /**
   * The caller's bearer token (a JWT of an issuer the API trusts), asked for before every
   * request so that a refreshed token is picked up. `null` or `undefined` sends none: enough
   * for public routes, 401 on the others.
   */
  getToken: () => string | null | undefined | Promise<string | null | undefined>
  /** The `fetch` to send requests with; the global one by default. */
  fetch?: typeof globalThis.fetch
}

/** `baseUrl` without its trailing slashes, so that paths can be appended. */
export function origin(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '')
}

/** The `Authorization` header for the current token, if there is one. */
export async function authorization(getToken: TodoClientOptions['getToken']): Promise<string | undefined> {
  const token = await getToken()
  return token ? `Bearer ${token}` : undefined
}
