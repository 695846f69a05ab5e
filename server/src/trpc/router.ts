import type { RouteMeta } from '@todo/contracts'
import type { AnyTRPCProcedure } from '@trpc/server'
import { createCallerFactory, router } from './init.js'
import { authRouter } from './routers/auth.js'
import { tasksRouter } from './routers/tasks.js'

export const appRouter = router({
  auth: authRouter,
  tasks: tasksRouter,
})

/** The API's type: what `@trpc/client` is parameterised with. */
export type AppRouter = typeof appRouter

export const createCaller = createCallerFactory(appRouter)

/** The route meta of every procedure that has one, by procedure path (`tasks.create`). */
export function routeMetaByPath(appRouter: AppRouter): Map<string, RouteMeta> {
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>
  const metas = new Map<string, RouteMeta>()
  for (const [path, procedure] of Object.entries(procedures)) {
    const meta = procedure._def.meta as RouteMeta | undefined
    if (meta) metas.set(path, meta)
  }
  return metas
}
