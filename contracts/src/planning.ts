import { z } from 'zod'
import { exact } from './common.js'
import { text } from './text.js'

export const LABELS_MAX = 20
export const LABEL_MAX = 50
export const POSITION_MAX = 64
export const SEARCH_MAX = 10_000

/**
 * A calendar date, `YYYY-MM-DD`, that exists (no 2026-02-30). A task's due date is a day, as
 * Google Tasks keeps it and as an `<input type="date">` hands it over; "overdue" is judged in
 * the caller's time zone.
 */
export const DateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Must be a date, YYYY-MM-DD')
  .refine((date) => {
    const parsed = new Date(`${date}T00:00:00Z`)
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date)
  }, 'Must be a date that exists')
  .meta({ format: 'date', example: '2026-01-09' })

export const DueSchema = DateSchema.nullable().describe(
  'The day the task is due (`YYYY-MM-DD`), or `null`. A day, not a time: "overdue" is judged in the caller’s time zone.',
)

export const PrioritySchema = exact(z.int().min(0).max(3)).describe('0 none (the default), 1 low, 2 medium, 3 high.')

const LabelSchema = text({ trim: true, min: 1, max: LABEL_MAX }).describe(
  `1 to ${LABEL_MAX} characters after trimming, no control characters.`,
)

/**
 * The key a label is compared by: accents, case and runs of spaces do not tell two labels
 * apart (`Café`, `cafe` and ` CAFÉ ` are one label). The label itself is kept as written.
 */
export function labelKey(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .replace(/\s+/g, ' ')
}

export const LabelsSchema = z
  .array(LabelSchema)
  .max(LABELS_MAX, `At most ${LABELS_MAX} labels`)
  .transform((labels) => {
    const seen = new Set<string>()
    return labels.filter((label) => {
      const key = labelKey(label)
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  })
  .describe(
    `A set of up to ${LABELS_MAX} labels, kept as written; compared without accents, case or extra spaces (the same label twice is kept once).`,
  )

export const PositionSchema = z
  .string()
  .regex(new RegExp(`^[0-9A-Za-z]{1,${POSITION_MAX}}$`), `Must be 1 to ${POSITION_MAX} letters and digits`)
  .nullable()
  .describe(
    'The task’s place in the user’s own order (`sort=position`): a key compared character by character (0-9 < A-Z < a-z). To move a task between two others, give it a key between theirs (the SDK’s `positionBetween`); no other task changes. `null`: after every placed task.',
  )

/** An IANA time zone the server knows (`Europe/Paris`). */
export const TimeZoneSchema = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone })
      return true
    } catch {
      return false
    }
  }, 'Must be an IANA time zone, such as Europe/Paris')
  .describe('The caller’s time zone (IANA), for what “today” is: `overdue`. Default UTC.')
