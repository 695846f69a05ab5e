import { formatError } from '@todo/server'
import { TRPCError } from '@trpc/server'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'

const shapeOf = (error: TRPCError) => ({
  message: error.message,
  code: -32603 as const,
  data: { code: error.code, httpStatus: 500, path: 'tasks.get' },
})

describe('formatError', () => {
  it('shows neither the message nor the issues of a failed output validation', () => {
    const invalid = z.object({ created_at: z.string() }).safeParse({ created_at: new Date() })
    const error = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Output validation failed',
      cause: invalid.error,
    })
    const formatted = formatError({ shape: shapeOf(error), error })
    expect(formatted.message).toBe('Internal server error')
    expect(formatted.data).not.toHaveProperty('issues')
    expect(JSON.stringify(formatted)).not.toMatch(/created_at|Date|validation/)
  })

  it('names the fields of a bad input', () => {
    const invalid = z.object({ title: z.string() }).safeParse({})
    const error = new TRPCError({ code: 'BAD_REQUEST', cause: invalid.error })
    const formatted = formatError({ shape: { ...shapeOf(error), code: -32600 }, error })
    expect(formatted.data.issues).toEqual([{ path: ['title'], message: expect.any(String) }])
    expect(formatted.message).toMatch(/^Invalid input: title: /)
  })
})
