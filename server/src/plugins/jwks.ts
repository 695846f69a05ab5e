import type { FastifyInstance } from 'fastify'
import type { BuiltinIssuer } from '../auth/builtin-issuer.js'

/** `GET /.well-known/jwks.json`: the built-in issuer's public keys, for anyone verifying its tokens. */
export async function jwksPlugin(app: FastifyInstance, { issuer }: { issuer: BuiltinIssuer | undefined }) {
  app.get('/.well-known/jwks.json', async (request, reply) => {
    try {
      const jwks = issuer ? await issuer.jwks() : { keys: [] }
      return reply.header('cache-control', 'public, max-age=300').send(jwks)
    } catch (error) {
      request.log.warn({ err: error }, 'built-in signing key unavailable')
      return reply.status(503).send({ code: 'SERVICE_UNAVAILABLE', message: 'The signing keys are unavailable' })
    }
  })
}
