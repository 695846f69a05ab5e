/**
 * Typed clients of the Todo API: `createTodoClient` (tRPC, for apps on tRPC and React Query)
 * and `createTodoRestClient` (REST, typed by the OpenAPI document). Both report an error
 * answer as a `TodoApiError` with the API's `code`, `message` and `status`.
 *
 * `@todo-api/client-sdk/rest` is the REST client alone, with no tRPC package needed.
 */
export {
  type ApiErrorBody,
  type ErrorCode,
  TodoApiError,
  type TodoApiErrorInit,
  toTodoApiError,
  type ValidationIssue,
} from './errors.js'
export type { TodoErrorShape, TodoRouter } from './generated/router.js'
export type { TodoClientOptions } from './options.js'
export { positionBetween } from './position.js'
export {
  createTodoRestClient,
  nextPageCursor,
  type TodoRestClient,
  type TodoRestMethod,
  type TodoRestResult,
} from './rest.js'
export {
  applyChanges,
  type Change,
  type SyncedTask,
  type SyncOptions,
  syncTasks,
  type WatchOptions,
  watchTasks,
} from './sync.js'
export {
  createTodoClient,
  type RouterInputs,
  type RouterOutputs,
  type TaskPage,
  type TodoClient,
  type TodoTrpcClientOptions,
  todoLinks,
} from './trpc.js'
export type { components, operations, paths, Task } from './types.js'
