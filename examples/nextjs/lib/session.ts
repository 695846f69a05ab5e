import 'server-only'
import { headers } from 'next/headers'
import { cache } from 'react'
import { getAuth } from '@/lib/auth'

/** The signed-in user's session for this request (from its cookie), or null. */
export const getSession = cache(async () => {
  // Read first: it makes the page dynamic, so nothing below runs at `next build`.
  const requestHeaders = await headers()
  return getAuth().api.getSession({ headers: requestHeaders })
})
