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

/** Every procedure by its dotted path (`tasks.create`): tRPC keeps them flat at run time. */
export function proceduresByPath(appRouter: AppRouter): [string, AnyTRPCProcedure][] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>)
}

/** The route meta of every procedure that has one, by procedure path (`tasks.create`). */
export function routeMetaByPath(appRouter: AppRouter): Map<string, RouteMeta> {
  const metas = new Map<string, RouteMeta>()
  for (const [path, procedure] of proceduresByPath(appRouter)) {
    const meta = procedure._def.meta as RouteMeta | undefined
    if (meta) metas.set(path, meta)
  }
  return metas
}
