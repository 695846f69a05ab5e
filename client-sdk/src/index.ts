// The typed clients arrive with issue 4; until then the package only re-exports the contract.
export type { ApiError, ErrorCode, Task, TaskPage } from '@todo/contracts'
