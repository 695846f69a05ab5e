import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Database } from '../db/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DbPluginOptions {
  database: Database
  /** Close it with the app (false when the caller owns it, as tests do). */
  close: boolean
}

export const dbPlugin = fp(
  async (app: FastifyInstance, { database, close }: DbPluginOptions) => {
    app.decorate('database', database)
    if (close) app.addHook('onClose', () => database.close())
  },
  { name: 'db' },
)
