import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { KeysUnavailableError, type TrustedIssuer } from './verify-token.js'

export interface JwksIssuerOptions {
  jwksUrl: string
  issuer: string
  audience: string[]
  algorithms: string[]
}

/** A key set larger than this is refused rather than read into memory. */
const MAX_JWKS_BYTES = 256 * 1024

/** `fetch` that reads at most `MAX_JWKS_BYTES` of the body (jose aborts it on timeout). */
async function boundedFetch(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init)
  if (Number(response.headers.get('content-length')) > MAX_JWKS_BYTES) {
    await response.body?.cancel()
    throw new KeysUnavailableError(`the key set at ${url} is larger than ${MAX_JWKS_BYTES} bytes`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength
    if (size > MAX_JWKS_BYTES)
      throw new KeysUnavailableError(`the key set at ${url} is larger than ${MAX_JWKS_BYTES} bytes`)
    chunks.push(chunk)
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers })
}

/** Errors that judge the token, not the key set: everything else means the keys are unavailable. */
const TOKEN_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSEAlgNotAllowed]

/**
 * An external issuer (Better Auth's JWT plugin) whose public keys are fetched from its JWKS
 * URL: cached, refetched on an unknown `kid` after a cooldown, with a timeout and a size bound.
 * Issuer, audience and the algorithm allow-list are always checked.
 */
export function jwksIssuer({ jwksUrl, issuer, audience, algorithms }: JwksIssuerOptions): TrustedIssuer {
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    timeoutDuration: 5000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
    [customFetch]: boundedFetch,
  })
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token)
    } catch (error) {
      if (TOKEN_ERRORS.some((type) => error instanceof type)) throw error
      throw new KeysUnavailableError(`no usable key set from ${jwksUrl}`, { cause: error })
    }
  }
  return {
    name: `jwks ${issuer}`,
    claims: (_header, payload) => payload.iss === issuer,
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms,
        requiredClaims: ['sub', 'exp'],
      })
      return payload
    },
  }
}
