import { z } from 'zod'

/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/
/** The same, except tab, line feed and carriage return. */
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

/** Length in Unicode code points, as the contract counts it (`'😀'.length` is 2). */
export function codePointLength(text: string): number {
  let length = 0
  for (const _ of text) length++
  return length
}

interface TextRules {
  /** Allow tab, line feed and carriage return. */
  multiline?: boolean
  /** Store and check the value with surrounding whitespace removed. */
  trim?: boolean
  min: number
  max: number
}

/**
 * A string checked the way the contract states: well-formed Unicode (a lone surrogate
 * could not be stored as UTF-8), no control characters, length counted in code points.
 * JSON Schema's `minLength`/`maxLength` count code points too, so the document says the same.
 */
export function text({ multiline = false, trim = false, min, max }: TextRules) {
  const forbidden = multiline ? CONTROL_EXCEPT_LINE_BREAKS : CONTROL
  const schema = z.string().check((ctx) => {
    const issue = textIssue(ctx.value, forbidden, multiline, trim, min, max)
    if (issue) ctx.issues.push({ code: 'custom', input: ctx.value, message: issue })
  })
  return (trim ? schema.trim() : schema).meta({ minLength: min, maxLength: max })
}

function textIssue(
  value: string,
  forbidden: RegExp,
  multiline: boolean,
  trim: boolean,
  min: number,
  max: number,
): string | undefined {
  if (!value.isWellFormed()) return 'Must be valid Unicode text (no lone surrogates)'
  if (forbidden.test(value)) {
    return multiline
      ? 'Must not contain control characters other than tab, line feed and carriage return'
      : 'Must not contain control characters'
  }
  const length = codePointLength(trim ? value.trim() : value)
  if (length < min) return min === 1 ? 'Must not be empty' : `Must be at least ${min} characters`
  if (length > max) return `Must be at most ${max} characters`
  return undefined
}
