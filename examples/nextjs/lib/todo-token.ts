import { authClient } from '@/lib/auth-client'
import { createTokenStore } from '@/lib/token-store'

/**
 * The browser's tokens for the API, from Better Auth's JWT plugin (`GET /api/auth/token`,
 * answered from the session cookie). Tokens live 15 minutes; each is reused until a minute
 * before it expires.
 */
const tokens = createTokenStore(async () => {
  const { data } = await authClient.token()
  return data?.token ?? null
})

/** The token of `userId` for the SDK's `getToken`; null when the browser's session is not that user's. */
export const getTodoToken = (userId: string) => tokens.get(userId)

/** Forget `userId`'s token, e.g. after the API answered 401 with it. */
export const forgetTodoToken = (userId: string) => tokens.forget(userId)

/** Forget every token: call it on sign-out and sign-in. */
export const clearTodoTokens = () => tokens.clear()
