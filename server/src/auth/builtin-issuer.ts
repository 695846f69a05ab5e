import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose'
import type { Kysely } from 'kysely'
import { findFirstSigningKey, insertSigningKey } from '../db/queries/signing-keys.js'
import type { DB } from '../db/schema.js'
import type { Identity } from './identity.js'
import { KeysUnavailableError, type TrustedIssuer } from './verify-token.js'

/** `iss` and `aud` of the built-in issuer's tokens. */
export const BUILTIN_ISSUER = 'todo-api'

export interface BuiltinIssuer {
  trusted: TrustedIssuer
  /** The public keys, as `GET /.well-known/jwks.json` serves them. */
  jwks(): Promise<{ keys: JWK[] }>
  /** A signed token for the user, valid for the configured lifetime. */
  issue(user: Identity): Promise<{ token: string; expiresAt: Date }>
}

export interface BuiltinIssuerOptions {
  /** A private Ed25519 JWK from configuration; without one, the key stored in the database. */
  signingKey: JWK | undefined
  tokenTtlSeconds: number
}

/** Generates an Ed25519 private JWK with its thumbprint as `kid`. */
export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'EdDSA' }
}

/**
 * The stored key, made on first use. Concurrent first starts each insert one; all then sign
 * with the first stored, so they agree.
 */
async function storedSigningKey(db: Kysely<DB>): Promise<JWK> {
  const stored = await findFirstSigningKey(db)
  if (stored) return JSON.parse(stored) as JWK
  const key = await generateSigningKey()
  await insertSigningKey(db, key.kid!, JSON.stringify(key))
  return JSON.parse((await findFirstSigningKey(db))!) as JWK
}

/**
 * The server's own issuer: EdDSA tokens for accounts registered here. Its key is read on first
 * use (and again after a failure), so a database that is down at start delays nothing.
 */
export function createBuiltinIssuer(db: Kysely<DB>, opts: BuiltinIssuerOptions): BuiltinIssuer {
  let loading: Promise<SigningKeys> | undefined
  const keys = (): Promise<SigningKeys> => {
    loading ??= signingKeys(opts.signingKey ?? storedSigningKey(db)).catch((error: unknown) => {
      loading = undefined
      throw new KeysUnavailableError('the built-in signing key could not be loaded', { cause: error })
    })
    return loading
  }

  return {
    jwks: async () => ({ keys: [(await keys()).publicJwk] }),
    trusted: {
      name: 'built-in',
      claims: (_header, payload) => payload.iss === BUILTIN_ISSUER,
      async verify(token) {
        const { payload } = await jwtVerify(token, (await keys()).keySet, {
          issuer: BUILTIN_ISSUER,
          audience: BUILTIN_ISSUER,
          algorithms: ['EdDSA'],
          requiredClaims: ['sub', 'exp'],
        })
        return payload
      },
    },
    async issue(user) {
      const { privateKey, publicJwk } = await keys()
      const expiresAt = new Date((Math.floor(Date.now() / 1000) + opts.tokenTtlSeconds) * 1000)
      const token = await new SignJWT({ email: user.email, name: user.name })
        .setProtectedHeader({ alg: 'EdDSA', kid: publicJwk.kid!, typ: 'JWT' })
        .setIssuer(BUILTIN_ISSUER)
        .setAudience(BUILTIN_ISSUER)
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(privateKey)
      return { token, expiresAt }
    },
  }
}

interface SigningKeys {
  privateKey: Awaited<ReturnType<typeof importJWK>>
  publicJwk: JWK
  keySet: ReturnType<typeof createLocalJWKSet>
}

async function signingKeys(source: JWK | Promise<JWK>): Promise<SigningKeys> {
  const privateJwk = await source
  const { kty, crv, x } = privateJwk
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint({ kty, crv, x }))
  const publicJwk: JWK = { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' }
  const privateKey = await importJWK({ ...privateJwk, kid, alg: 'EdDSA' }, 'EdDSA')
  return { privateKey, publicJwk, keySet: createLocalJWKSet({ keys: [publicJwk] }) }
}
