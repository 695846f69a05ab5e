/**
 * Route metadata of a procedure. Structurally equal to trpc-to-openapi's `OpenApiMeta`
 * (so contracts need no tRPC import), plus the REST success status, which the adapter
 * would otherwise always answer as 200.
 */
export interface RouteMeta {
  [key: string]: unknown
  openapi?: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    /** Relative to the REST base path `/api`. */
    path: `/${string}`
    summary: string
    description?: string
    tags: string[]
    /** Whether the route needs a bearer token (trpc-to-openapi defaults to true). */
    protect: boolean
  }
  /** REST status of a success; 200 when absent. */
  successStatus?: 201 | 204
}

/** Helper that keeps each route's literal types while checking it against `RouteMeta`. */
export const defineRoutes = <T extends Record<string, RouteMeta>>(routes: T): T => routes
