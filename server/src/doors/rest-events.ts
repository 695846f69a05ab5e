import { once } from 'node:events'
import type { Change } from '@todo/contracts'
import { getTRPCErrorFromUnknown, getTRPCErrorShape, type TrackedEnvelope } from '@trpc/server'
import type { FastifyInstance } from 'fastify'
import { contextFromRequest, type Services } from '../trpc/context.js'
import type { ErrorShape } from '../trpc/error-shape.js'
import { createCallerFactory } from '../trpc/init.js'
import { errorResponseMeta } from '../trpc/response-meta.js'
import type { AppRouter } from '../trpc/router.js'
import { contractError, Exchange } from './rest.js'

/** A comment line this often keeps the stream alive through proxies (the contract: at least every 15 s). */
const HEARTBEAT_MS = 10_000
/** How long an EventSource waits before it reconnects, once the stream ends. */
const RETRY_MS = 1000

/**
 * `GET /api/{user_id}/tasks/events`: the `tasks.events` subscription, called as it is at the
 * tRPC door (same middleware, same generator), written as the standard's event stream: `id:`
 * the feed cursor, `event: upsert|delete`, `data:` the change. `Last-Event-ID` resumes after
 * that cursor. When the server ends the stream (its token expired, the server drains) it says
 * why in an `error` event and closes; an EventSource then reconnects after `retry`.
 * trpc-to-openapi has no subscriptions, hence this route of its own.
 */
export async function restEvents(
  app: FastifyInstance,
  { router, services }: { router: AppRouter; services: Services },
) {
  const caller = createCallerFactory(router)
  const config = router._def._config

  app.get('/:user_id/tasks/events', async (request, reply) => {
    const ctx = contextFromRequest(services, 'rest', request, reply, new Exchange(request, reply))
    const abort = new AbortController()
    reply.raw.once('close', () => abort.abort())
    // The path segment as sent: the procedure decodes it as it does at every REST route.
    const user_id = request.url.split('/')[2] ?? ''
    const lastEventId = request.headers['last-event-id']
    // The caller hands back the procedure's own generator: it yields `tracked` envelopes
    // ([id, data]), which tRPC's types describe as they reach a client ({ id, data }).
    let events: AsyncIterable<unknown>
    try {
      events = await caller(ctx, { signal: abort.signal }).tasks.events({
        user_id,
        lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
      })
    } catch (cause) {
      const { status, body, headers } = errorAnswer(cause)
      return reply.status(status).headers(headers).send(body)
    }

    reply.hijack()
    const res = reply.raw
    // What the hooks set so far (request id, CORS, security headers), then the stream's own.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    })
    res.write(`retry: ${RETRY_MS}\n\n`)
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS)
    try {
      for await (const envelope of events) {
        const [id, change] = envelope as TrackedEnvelope<Change>
        const written = res.write(`id: ${id}\nevent: ${change.op}\ndata: ${JSON.stringify(change)}\n\n`)
        // A client that reads slowly holds the next change back: nothing piles up here.
        if (!written) await Promise.race([once(res, 'drain'), once(res, 'close')])
        if (res.destroyed) break
      }
    } catch (cause) {
      if (!res.destroyed) res.write(`event: error\ndata: ${JSON.stringify(errorAnswer(cause).body)}\n\n`)
    } finally {
      clearInterval(heartbeat)
      res.end()
      request.server.requestLog.requestCompleted(null, request, reply)
    }

    /** A failure of the call as the contract's error: status, body, headers. */
    function errorAnswer(cause: unknown) {
      const error = getTRPCErrorFromUnknown(cause)
      const shape = getTRPCErrorShape({
        config,
        error,
        ctx,
        type: 'subscription',
        path: 'tasks.events',
        input: undefined,
      }) as ErrorShape
      const meta = errorResponseMeta([error], 1)
      return { status: meta.status ?? shape.data.httpStatus, body: contractError(shape), headers: meta.headers }
    }
  })
}
