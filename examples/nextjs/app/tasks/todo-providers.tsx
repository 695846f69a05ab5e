'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createTodoClient, type TodoRouter, toTodoApiError } from '@todo-api/client-sdk'
import { createTRPCContext } from '@trpc/tanstack-react-query'
import { type ReactNode, useState } from 'react'
import { forgetTodoToken, getTodoToken } from '@/lib/todo-token'

/** `useTRPC()`: the API's procedures as TanStack Query options (`trpc.tasks.page.infiniteQueryOptions(…)`). */
export const { TRPCProvider, useTRPC } = createTRPCContext<TodoRouter>()

/**
 * The query cache and the API's tRPC client of one signed-in user. Render it with
 * `key={userId}`: another user gets a new cache and a client that asks for their own token,
 * so nothing of the previous user's survives in the tab.
 */
export function TodoProviders({ apiUrl, userId, children }: { apiUrl: string; userId: string; children: ReactNode }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: retryUnlessRefused } } }),
  )
  const [trpcClient] = useState(() =>
    createTodoClient({
      baseUrl: apiUrl,
      getToken: () => getTodoToken(userId),
      // A refused token is not asked for again: the next call fetches a fresh one.
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        if (response.status === 401) forgetTodoToken(userId)
        return response
      },
    }),
  )
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  )
}

/** Retries what may pass next time (no answer, 5xx), never what the API refused (4xx). */
function retryUnlessRefused(failures: number, error: unknown): boolean {
  const status = toTodoApiError(error)?.status
  return failures < 2 && !(status !== undefined && status < 500)
}
