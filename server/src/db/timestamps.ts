/** PostgreSQL's type oid of `timestamptz`. */
export const TIMESTAMPTZ_OID = 1184

/**
 * A `timestamptz` as PostgreSQL sends it → the contract's ISO 8601 form, with no `Date` in
 * between. In the default ISO DateStyle and a UTC session (Neon's and PGlite's default) the
 * text is `2026-01-03 10:30:00.5+00`: a few slices make `2026-01-03T10:30:00.500Z`. Parsing
 * into a `Date` and formatting it again cost a tenth of a list's CPU. Any other offset goes
 * through `Date`, which gives the same instant in UTC.
 */
export function isoFromPostgres(text: string): string {
  if (text.length >= 22 && text.charCodeAt(10) === 32 && text.endsWith('+00')) {
    const fraction = text.slice(19, -3)
    const ms = fraction.length >= 4 ? fraction.slice(0, 4) : fraction === '' ? '.000' : fraction.padEnd(4, '0')
    return `${text.slice(0, 10)}T${text.slice(11, 19)}${ms}Z`
  }
  return new Date(text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')).toISOString()
}
