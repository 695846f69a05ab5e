import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'

/**
 * helmet's security headers on every answer: its defaults, less `upgrade-insecure-requests`
 * (the server may be reached over plain HTTP, locally or behind a proxy that ends TLS, where
 * it would break the docs page).
 *
 * helmet's middleware is built once here and run for each request. `@fastify/helmet` builds it
 * anew for every request (`helmet(configuration)(req, res, done)`, the policy's directives
 * parsed each time) behind two async hooks: 2-3% of the server's CPU on a `get`.
 * @see https://helmetjs.github.io/
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    const setHeaders = helmet({ contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } })
    app.addHook('onRequest', (request, reply, done) => {
      setHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined))
    })
  },
  { name: 'security-headers' },
)
