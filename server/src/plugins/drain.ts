import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** True once the server has been asked to stop: it finishes what it has and takes nothing new. */
    readonly draining: boolean
    /**
     * SIGTERM: readiness fails at once, every answer from now on closes its connection, event
     * streams end (their clients reconnect elsewhere); then `close()` lets in-flight requests
     * finish.
     */
    startDraining(): void
  }
}

/** The server's drain: the state the probes and the answers read, and what it ends at once. */
export const drainPlugin = fp(
  async (app: FastifyInstance, { onDrain }: { onDrain: () => void }) => {
    let draining = false
    app.decorate('draining', { getter: () => draining })
    app.decorate('startDraining', () => {
      if (draining) return
      draining = true
      onDrain()
    })
    app.addHook('onSend', async (_request, reply) => {
      if (draining) reply.header('connection', 'close')
    })
  },
  { name: 'drain' },
)
