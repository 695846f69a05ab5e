import type { z } from 'zod'
import type { ErrorCode } from './errors.js'

/**
 * Route metadata of a procedure. Structurally equal to trpc-to-openapi's `OpenApiMeta`
 * (so contracts need no tRPC import), plus what the OpenAPI document and the REST door
 * need beyond it: the success status (the adapter would always answer 200), the errors
 * particular to the route, and whether its body may be left out.
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
    /** Headers of a success response, documented as such. */
    responseHeaders?: z.ZodObject
  }
  /** REST status of a success; 200 when absent. */
  successStatus?: 201 | 204
  /**
   * Errors the route answers beyond those any route may: 400 when it takes input, 401 when
   * protected, 413 and 415 when it takes a body, and 429, 500 and 503 always.
   */
  errors?: readonly ErrorCode[]
  /** The REST body may be left out (the input needs nothing beyond the path). */
  optionalBody?: true
}

/** Helper that keeps each route's literal types while checking it against `RouteMeta`. */
export const defineRoutes = <T extends Record<string, RouteMeta>>(routes: T): T => routes
