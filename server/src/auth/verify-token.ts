import { createSecretKey } from 'node:crypto'
import { text, UserIdSchema } from '@todo/contracts'
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose'
import type { Identity } from './identity.js'

/**
 * Why a request has no identity. `missing`: no credentials (401); `invalid`: credentials
 * refused (401, `invalid_token`); `unavailable`: the issuer's keys cannot be had now (503).
 */
export class AuthError extends Error {
  override name = 'AuthError'
  constructor(
    readonly reason: 'missing' | 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message)
  }
}

/** An issuer's keys could not be fetched or read: its tokens cannot be judged now. */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError'
}

/** One issuer the server trusts: says whether a token is its to judge, then verifies it. */
export interface TrustedIssuer {
  name: string
  /** Cheap check on the unverified header and claims: is this token for this issuer? */
  claims(header: ProtectedHeaderParameters, payload: JWTPayload): boolean
  /** Verifies signature and claims; throws when the token is not acceptable, `KeysUnavailableError` when it cannot tell. */
  verify(token: string): Promise<JWTPayload>
}

/** Tokens signed with the shared secret: HS256 only, the key is the secret's UTF-8 bytes. */
export function sharedSecretIssuer(secret: string): TrustedIssuer {
  // A KeyObject, not bytes: jose imports raw bytes into a CryptoKey on every call, but
  // converts a KeyObject once and keeps the result.
  const key = createSecretKey(Buffer.from(secret, 'utf8'))
  return {
    name: 'shared secret',
    claims: (header) => header.alg === 'HS256',
    async verify(token) {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] })
      return payload
    },
  }
}

export interface AuthLog {
  /** A token was refused: which check failed (for the operator, not the client). */
  refused(detail: string): void
  /** An issuer's keys could not be fetched or read. */
  unavailable(error: unknown): void
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const MAX_TOKEN_LENGTH = 16 * 1024
/** Explicit types of access tokens (RFC 8725 §3.11); others, such as session cookies, are refused. */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt'])

/**
 * Turns an `Authorization` header into the caller's identity. A token is judged by the issuer
 * its `iss` names (or by the shared secret for HS256 tokens); one no issuer claims is refused.
 * Throws `AuthError` with a message safe to show.
 */
export function createAuthenticator(
  issuers: TrustedIssuer[],
  log: AuthLog,
): (authorization: string | undefined) => Promise<Identity> {
  return async (authorization) => {
    if (!authorization) throw new AuthError('missing', 'Missing bearer token')
    const token = BEARER.exec(authorization)?.[1]
    if (!token || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('invalid', 'Malformed Authorization header: expected "Bearer <token>"')
    }
    const issuer = pickIssuer(issuers, token, log)
    let payload: JWTPayload
    try {
      payload = await issuer.verify(token)
    } catch (error) {
      if (error instanceof KeysUnavailableError) {
        log.unavailable(error)
        throw new AuthError('unavailable', 'The identity provider cannot be reached; try again later')
      }
      log.refused(`${issuer.name}: ${error instanceof Error ? error.message : String(error)}`)
      if (error instanceof errors.JWTExpired) throw new AuthError('invalid', 'The token has expired')
      throw invalidToken()
    }
    return identityOf(payload, log)
  }
}

function invalidToken(): AuthError {
  return new AuthError('invalid', 'The token is not valid')
}

function pickIssuer(issuers: TrustedIssuer[], token: string, log: AuthLog): TrustedIssuer {
  let header: ProtectedHeaderParameters
  let payload: JWTPayload
  try {
    header = decodeProtectedHeader(token)
    payload = decodeJwt(token)
  } catch {
    log.refused('not a JWT')
    throw invalidToken()
  }
  if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
    log.refused(`token type ${header.typ}`)
    throw invalidToken()
  }
  const issuer = issuers.find((candidate) => candidate.claims(header, payload))
  if (!issuer) {
    log.refused(`no trusted issuer for iss ${JSON.stringify(payload.iss)} and alg ${header.alg}`)
    throw invalidToken()
  }
  return issuer
}

const ProfileTextSchema = text({ min: 1, max: 320 })

function identityOf(payload: JWTPayload, log: AuthLog): Identity {
  const sub = UserIdSchema.safeParse(payload.sub)
  if (!sub.success) {
    log.refused('the sub claim is missing or not a usable user id')
    throw invalidToken()
  }
  return {
    id: sub.data,
    email: profileText(payload.email),
    name: profileText(payload.name),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
  }
}

/** Optional profile claims: kept when they are plain short strings, ignored otherwise. */
function profileText(value: unknown): string | undefined {
  const parsed = ProfileTextSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}
