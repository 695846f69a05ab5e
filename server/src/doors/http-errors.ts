import type { IncomingMessage } from 'node:http'
import { ERROR_STATUS, type ErrorCode } from '@todo/contracts'
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { MALFORMED_JSON } from '../trpc/error-shape.js'

const CODE_BY_STATUS = new Map<number, ErrorCode>()
for (const [code, status] of Object.entries(ERROR_STATUS) as [ErrorCode, number][]) {
  if (code !== 'PARSE_ERROR' && !CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code)
}

/**
 * An error Fastify raised before any procedure ran (malformed JSON, body too large, wrong
 * content type, unknown route), as the status and stable code of the contract.
 */
export function fastifyErrorCode(error: FastifyError): { status: number; code: ErrorCode; message: string } {
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500) return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }
  const malformedJson = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
  return {
    status,
    code: malformedJson ? 'PARSE_ERROR' : (CODE_BY_STATUS.get(status) ?? 'BAD_REQUEST'),
    message: malformedJson ? MALFORMED_JSON : error.message,
  }
}

/**
 * Answers an error Fastify raised, in the shape of the door it reached: the contract's
 * `{ code, message }` at REST and elsewhere, tRPC's error envelope at `/trpc`. A 5xx is
 * logged and names its request id, so that a report can be matched with the log.
 */
export async function answerFastifyError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  envelope: 'contract' | 'trpc',
) {
  const { status, code, message } = fastifyErrorCode(error)
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && !(await drainBody(request.raw))) {
    reply.header('connection', 'close')
  }
  const requestId = status >= 500 ? { request_id: request.id } : {}
  return reply.status(status).send(
    envelope === 'contract'
      ? { code, message, ...requestId }
      : {
          error: {
            message,
            code: TRPC_ERROR_CODES_BY_KEY[code as TRPC_ERROR_CODE_KEY] ?? TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST,
            data: { code, httpStatus: status, ...requestId },
          },
        },
  )
}

/** How much of a refused body is read (and dropped) so that its 413 reaches the client. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
const DRAIN_TIMEOUT_MS = 5000

/**
 * Reads and drops the rest of a request body that will not be used. A client still writing
 * a body when the answer comes and the connection closes gets a connection error (EPIPE or
 * ECONNRESET) instead of the answer; read to its end, the body's 413 arrives. At most 16 MB
 * and 5 s are spent on it: resolves `false` when it was not read to its end.
 */
function drainBody(raw: IncomingMessage): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true)
  if (Number(raw.headers['content-length']) > DRAIN_LIMIT_BYTES) return Promise.resolve(false)
  return new Promise((resolve) => {
    let received = 0
    const finish = (complete: boolean) => {
      clearTimeout(timer)
      raw.off('data', onData).off('end', onEnd).off('error', onStop).off('close', onStop)
      if (!complete) raw.pause()
      resolve(complete)
    }
    const onData = (chunk: Buffer) => {
      received += chunk.length
      if (received > DRAIN_LIMIT_BYTES) finish(false)
    }
    const onEnd = () => finish(true)
    const onStop = () => finish(false)
    const timer = setTimeout(onStop, DRAIN_TIMEOUT_MS)
    raw.on('data', onData).once('end', onEnd).once('error', onStop).once('close', onStop)
    raw.resume()
  })
}
