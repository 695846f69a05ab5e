import { toNextJsHandler } from 'better-auth/next-js'
import { getAuth } from '@/lib/auth'

/** Better Auth's endpoints: sign-up, sign-in, session, `/token` and `/jwks` (the API reads the keys there). */
export const GET = (request: Request) => toNextJsHandler(getAuth()).GET(request)
export const POST = (request: Request) => toNextJsHandler(getAuth()).POST(request)
