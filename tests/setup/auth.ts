import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'

/** The HS256 secret test servers trust. */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long'

/** A user id no other test uses. Better Auth style (not a uuid) to keep the contract honest. */
export function newUserId(): string {
  return `user_${randomUUID().replaceAll('-', '')}`
}

export interface TokenOptions {
  secret?: string
  expiresIn?: string | number
  notBefore?: string | number
  claims?: Record<string, unknown>
  alg?: string
}

/** A real HS256 JWT for `sub`, as a shared-secret issuer would sign it. */
export function tokenFor(sub: string | undefined, opts: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(opts.claims ?? {}).setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt()
  if (sub !== undefined) jwt.setSubject(sub)
  jwt.setExpirationTime(opts.expiresIn ?? '1h')
  if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore)
  return jwt.sign(new TextEncoder().encode(opts.secret ?? TEST_SECRET))
}

/** A user with a token: what most tests start from. */
export async function newUser(): Promise<{ id: string; token: string }> {
  const id = newUserId()
  return { id, token: await tokenFor(id) }
}
