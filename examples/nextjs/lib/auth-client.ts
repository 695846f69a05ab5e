import { jwtClient } from 'better-auth/client/plugins'
import { createAuthClient } from 'better-auth/react'

/** Better Auth in the browser, at this app's own `/api/auth`; `jwtClient()` adds `token()`. */
export const authClient = createAuthClient({ plugins: [jwtClient()] })
