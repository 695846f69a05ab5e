import type { AppRouter } from '@todo/server'
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client'

/** A real tRPC client of the test server, as a frontend would build it. */
export function trpcClient(baseUrl: string, token?: string, opts: { batch?: boolean } = {}) {
  const link = opts.batch === false ? httpLink : httpBatchLink
  return createTRPCClient<AppRouter>({
    links: [link({ url: `${baseUrl}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  })
}

/** The rejection of a tRPC call, as the client surfaces it. */
export async function trpcError(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await call
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>
    throw error
  }
  throw new Error('expected the call to fail')
}
