import type { components } from './generated/openapi.js'

export type { components, operations, paths } from './generated/openapi.js'

/** A task as the API returns it, at either door. */
export type Task = components['schemas']['Task']
