import { toTodoApiError } from '@todo-api/client-sdk'

/**
 * What to show after a failed call: the message of each validation issue next to its field
 * (`fields` are those the form shows), and anything else under `form`: another field's issue,
 * another error of the API (401, 404, …), or no answer at all.
 */
export function fieldErrors<Field extends string>(
  error: unknown,
  fields: readonly Field[],
): Partial<Record<Field | 'form', string>> {
  const errors: Partial<Record<Field | 'form', string>> = {}
  if (!error) return errors
  const apiError = toTodoApiError(error)
  if (!apiError) {
    errors.form = 'The API could not be reached. Try again.'
    return errors
  }
  for (const issue of apiError.issues ?? []) {
    const field = fields.find((name) => name === issue.path[0]) ?? 'form'
    errors[field] ??= issue.message
  }
  if (Object.keys(errors).length === 0) errors.form = `${apiError.message} (${apiError.status} ${apiError.code})`
  return errors
}
