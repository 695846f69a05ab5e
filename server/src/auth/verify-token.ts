import { createSecretKey } from 'node:crypto'
import { text, UserIdSchema } from '@todo/contracts'
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose'
import type { Identity } from '../db/queries/users.js'

/** Why a request has no identity. `missing`: no credentials; `invalid`: credentials refused. */
export class AuthError extends Error {
  override name = 'AuthError'
  constructor(
    readonly reason: 'missing' | 'invalid',
    message: string,
  ) {
    super(message)
  }
}

/** One issuer the server trusts: says whether a token is its to judge, then verifies it. */
export interface TrustedIssuer {
  name: string
  /** Cheap check on the unverified header and claims: is this token for this issuer? */
  claims(header: { alg?: string | undefined }, payload: JWTPayload): boolean
  /** Verifies signature and claims; throws a `jose` error when the token is not acceptable. */
  verify(token: string): Promise<JWTPayload>
}

/** Tokens signed with the shared secret (HS256 only: the secret is UTF-8 bytes). */
export function sharedSecretIssuer(secret: string): TrustedIssuer {
  // A KeyObject, not bytes: jose imports raw bytes into a CryptoKey on every call, but
  // converts a KeyObject once and keeps the result.
  const key = createSecretKey(Buffer.from(secret, 'utf8'))
  return {
    name: 'shared-secret',
    claims: (header) => header.alg === 'HS256',
    async verify(token) {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] })
      return payload
    },
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const MAX_TOKEN_LENGTH = 16 * 1024

/**
 * Turns an `Authorization` header into the caller's identity. Throws `AuthError`; the
 * message is safe to show, the detail (which check failed) goes to `onRefused` for the log.
 */
export function createAuthenticator(
  issuers: TrustedIssuer[],
  onRefused: (detail: string) => void = () => {},
): (authorization: string | undefined) => Promise<Identity> {
  return async (authorization) => {
    if (!authorization) throw new AuthError('missing', 'Missing bearer token')
    const token = BEARER.exec(authorization)?.[1]
    if (!token || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('invalid', 'Malformed Authorization header: expected "Bearer <token>"')
    }
    const issuer = pickIssuer(issuers, token)
    if (!issuer) {
      onRefused('no trusted issuer claims this token')
      throw invalidToken()
    }
    let payload: JWTPayload
    try {
      payload = await issuer.verify(token)
    } catch (error) {
      onRefused(`${issuer.name}: ${error instanceof Error ? error.message : String(error)}`)
      if (error instanceof errors.JWTExpired) throw new AuthError('invalid', 'The token has expired')
      throw invalidToken()
    }
    return identityOf(payload, onRefused)
  }
}

function invalidToken(): AuthError {
  return new AuthError('invalid', 'The token is not valid')
}

function pickIssuer(issuers: TrustedIssuer[], token: string): TrustedIssuer | undefined {
  let header: { alg?: string | undefined }
  let payload: JWTPayload
  try {
    header = decodeProtectedHeader(token)
    const body = token.split('.')[1] ?? ''
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JWTPayload
  } catch {
    return undefined
  }
  if (typeof payload !== 'object' || payload === null) return undefined
  return issuers.find((issuer) => issuer.claims(header, payload))
}

const ProfileTextSchema = text({ min: 1, max: 320 })

function identityOf(payload: JWTPayload, onRefused: (detail: string) => void): Identity {
  const sub = UserIdSchema.safeParse(payload.sub)
  if (!sub.success) {
    onRefused('the sub claim is missing or not a usable user id')
    throw invalidToken()
  }
  return { id: sub.data, email: profileText(payload.email), name: profileText(payload.name) }
}

/** Optional profile claims: kept when they are plain short strings, ignored otherwise. */
function profileText(value: unknown): string | undefined {
  const parsed = ProfileTextSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}
