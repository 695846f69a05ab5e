import 'server-only'
import { createTodoRestClient } from '@todo-api/client-sdk/rest'
import { headers } from 'next/headers'
import { cache } from 'react'
import { getAuth } from '@/lib/auth'
import { serverEnv } from '@/lib/env'

/**
 * The API's REST client for this request, with a token of the request's session: made per
 * request (React's `cache`), never at module scope, where users' requests would share it.
 */
export const getTodoRestClient = cache(async () => {
  const requestHeaders = await headers()
  return createTodoRestClient({
    baseUrl: serverEnv().apiUrl,
    // The JWT plugin's `GET /api/auth/token`, called in-process with the request's cookie.
    getToken: async () => (await getAuth().api.getToken({ headers: requestHeaders })).token,
  })
})
