import { z } from 'zod'

/**
 * Stable error codes (tRPC's names, and `CURSOR_EXPIRED`: a sync cursor older than the
 * server keeps deletions for; sync again from scratch), with their HTTP status.
 */
export const ERROR_STATUS = {
  PARSE_ERROR: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  CURSOR_EXPIRED: 410,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const
export type ErrorCode = keyof typeof ERROR_STATUS

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]])

/** One problem with the input: where (`path` of field names and indexes) and what. */
export const ValidationIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])).describe('Field names and array indexes down to the field.'),
  message: z.string(),
})
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>

/** The body of every REST error. */
export const ErrorSchema = z
  .object({
    code: ErrorCodeSchema.describe('Stable; branch on this.'),
    message: z.string().describe('For people; may change.'),
    issues: z.array(ValidationIssueSchema).optional().describe('On validation errors: the offending fields.'),
    current: z
      .looseObject({})
      .optional()
      .describe('On `PRECONDITION_FAILED` (412): the task as it is now (a `Task`), to merge without another call.'),
    request_id: z.string().optional().describe('On server faults (5xx): the request id, to find it in the log.'),
  })
  .meta({ id: 'Error' })
export type ApiError = z.infer<typeof ErrorSchema>
