import { z } from 'zod'
import { text } from './text.js'

/**
 * Shields a boolean or number schema from trpc-to-openapi's request coercion. On every REST
 * call the adapter sets `coerce = true` on the input's bare boolean/number schemas, in place,
 * so `"false"` would then parse as `true` at both doors. It does not look inside a pipe.
 * @see https://github.com/mcampa/trpc-to-openapi/blob/master/src/utils/zod.ts (`coerceSchema`)
 */
export function exact<T extends z.ZodType<boolean | number, boolean | number>>(schema: T) {
  return schema.transform((value) => value)
}

/** A user id: the `sub` of a trusted token. Opaque: Better Auth ids are not uuids. */
export const UserIdSchema = text({ min: 1, max: 255 }).describe(
  'The id of the signed-in user (the token `sub`). Opaque string, not necessarily a uuid.',
)

/** A task id. */
export const TaskIdSchema = z.uuid().describe('Task id (uuid).')

/** A point in time: ISO 8601 in UTC with `Z`, millisecond precision. */
export const IsoDateTimeSchema = z.iso.datetime().meta({ example: '2026-01-03T10:30:00.000Z' })
