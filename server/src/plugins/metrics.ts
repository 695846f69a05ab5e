import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Database } from '../db/database.js'
import type { EventHub } from '../events/hub.js'
import type { RequestLog } from './request-log.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Prometheus registry (`METRICS=true`): served at `/metrics`, or by `main.ts` on `METRICS_PORT`. */
    metrics?: Registry
  }
}

export interface MetricsOptions {
  requestLog: RequestLog
  database: Database
  events: EventHub
  /** Serve `GET /metrics` on the API's own port (when no `METRICS_PORT` is set). */
  route: boolean
}

/** Latency buckets (seconds): a call here takes a few ms; the contract's budget is 200 ms. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5]

/**
 * Prometheus metrics with prom-client: per procedure and door, the requests, their errors by
 * code and a latency histogram (counted from the request log, so the tRPC door, which serves
 * every procedure from one route, is labelled by procedure; a batch counts as `batch`); the
 * pool (total, idle, waiting); open event streams; and prom-client's process metrics (event
 * loop lag, memory, CPU, GC).
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, { requestLog, database, events, route }: MetricsOptions) => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry, prefix: 'todo_' })
    const labelNames = ['door', 'procedure'] as const
    const requests = new Counter({
      name: 'todo_requests_total',
      help: 'Requests answered, by door, procedure and status.',
      labelNames: [...labelNames, 'status'] as const,
      registers: [registry],
    })
    const errors = new Counter({
      name: 'todo_request_errors_total',
      help: 'Error answers, by door, procedure and the contract’s error code.',
      labelNames: [...labelNames, 'code'] as const,
      registers: [registry],
    })
    const duration = new Histogram({
      name: 'todo_request_duration_seconds',
      help: 'Time from a request’s arrival to its answer, by door and procedure.',
      labelNames,
      buckets: BUCKETS,
      registers: [registry],
    })
    requestLog.observe(({ door, procedure, error, status, ms }) => {
      const name = procedure === undefined ? 'none' : procedure.includes(',') ? 'batch' : procedure
      requests.inc({ door, procedure: name, status })
      if (status >= 400) errors.inc({ door, procedure: name, code: error ?? `HTTP_${status}` })
      duration.observe({ door, procedure: name }, ms / 1000)
    })
    const stats = database.poolStats
    if (stats) {
      new Gauge({
        name: 'todo_db_pool_connections',
        help: 'Connections of the database pool, by state (total, idle), and requests waiting for one (waiting).',
        labelNames: ['state'] as const,
        registers: [registry],
        collect() {
          const { total, idle, waiting } = stats()
          this.set({ state: 'total' }, total)
          this.set({ state: 'idle' }, idle)
          this.set({ state: 'waiting' }, waiting)
        },
      })
    }
    new Gauge({
      name: 'todo_event_streams',
      help: 'Open event streams (tasks.events) of this instance.',
      registers: [registry],
      collect() {
        this.set(events.openStreams)
      },
    })
    app.decorate('metrics', registry)
    if (route) {
      app.get('/metrics', async (_request, reply) =>
        reply
          .type(registry.contentType)
          .header('cache-control', 'no-store')
          .send(await registry.metrics()),
      )
    }
  },
  { name: 'metrics' },
)
