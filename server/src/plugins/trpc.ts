import { type AnyProcedure, TRPCError } from '@trpc/server'
import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import {
  getErrorShape,
  getHTTPStatusCode,
  getRequestInfo,
  getTRPCErrorFromUnknown,
  type TRPCResponse,
  transformTRPCResponse,
} from '@trpc/server/unstable-core-do-not-import'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fastifyErrorCode } from '../http-errors.js'
import { type Context, contextFromRequest, type Services } from '../trpc/context.js'
import { logServerFault } from '../trpc/errors.js'
import { errorHeaders } from '../trpc/response-meta.js'
import type { AppRouter } from '../trpc/router.js'

export interface TrpcPluginOptions {
  router: AppRouter
  services: Services
  /** Answer every call through tRPC's own handler, as the tests that compare the two paths do. */
  stockHandlerOnly?: boolean | undefined
}

const MAX_BATCH_SIZE = 50

/** The tRPC door at `/trpc` (batching on). Encapsulated: its JSON parsing is its own. */
export async function trpcPlugin(app: FastifyInstance, { router, services, stockHandlerOnly }: TrpcPluginOptions) {
  // Errors Fastify raises before tRPC runs (body too large) still reach clients as tRPC errors.
  app.setErrorHandler((error, request, reply) => {
    const { status, code, message } = fastifyErrorCode(error as FastifyError)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.status(status).send({
      error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } },
    })
  })

  const trpcOptions: FastifyTRPCPluginOptions<AppRouter>['trpcOptions'] = {
    router,
    allowBatching: true,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ req }) => contextFromRequest(services, 'trpc', req),
    responseMeta: ({ errors }) => ({ headers: errorHeaders(errors) }),
    onError: logServerFault,
  }
  // The direct path below answers queries and mutations only (`procedures` is flat at run
  // time, keyed by the dotted path).
  const procedures = Object.entries(router._def.procedures as unknown as Record<string, AnyProcedure>)
  const subscription = procedures.find(([, procedure]) => procedure._def.type === 'subscription')
  if (subscription) throw new Error(`The tRPC door cannot answer the subscription ${subscription[0]} directly`)

  // What fastifyTRPCPlugin registers, with a direct path for plain JSON calls (below).
  // @see https://github.com/trpc/trpc/blob/main/packages/server/src/adapters/fastify/fastifyTRPCPlugin.ts
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.removeContentTypeParser('multipart/form-data')
  app.addContentTypeParser('multipart/form-data', {}, (_request, body, done) => done(null, body))
  app.all<{ Params: { path: string } }>('/:path', async (req, reply) => {
    const path = req.params.path
    if (stockHandlerOnly || !isPlainCall(req)) return fastifyRequestHandler({ ...trpcOptions, req, res: reply, path })
    return reply.send(await answerPlainCall(router, services, path, req, reply))
  })
}

/**
 * A query or mutation with a JSON body or none, answered with JSON: what the tRPC clients'
 * HTTP links send. Streams (`trpc-accept: application/jsonl`), subscriptions (SSE) and
 * form data take the adapter's own path.
 */
function isPlainCall(req: FastifyRequest): boolean {
  const type = req.headers['content-type']
  return (
    (req.method === 'GET' || req.method === 'POST') &&
    (type === undefined || type.startsWith('application/json')) &&
    req.headers['trpc-accept'] === undefined &&
    !req.headers.accept?.includes('text/event-stream')
  )
}

const ACCEPTED_METHOD = { query: 'GET', mutation: 'POST', subscription: 'GET' } as const

/**
 * Answers a plain call (single or batched) as tRPC's `resolveResponse` does, with tRPC's own
 * pieces: `getRequestInfo` reads the paths and inputs, the procedures run through their
 * middleware, `getErrorShape` and `getHTTPStatusCode` make the errors and the status. What it
 * leaves out is the Fetch glue around them (a `Request`, `Headers`, `URL`, an `AbortSignal`
 * combined per call, a `Response` whose body is read back): on the profile that glue made
 * the tRPC door ~0.1 ms a call slower than the REST door. tests/integration/trpc-parity.test.ts
 * holds the two paths to the same answers.
 */
async function answerPlainCall(
  router: AppRouter,
  services: Services,
  path: string,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<string> {
  const config = router._def._config
  const request = leanRequest(req, reply)
  const errors: TRPCError[] = []
  let ctx: Context | undefined
  let type: 'query' | 'mutation' | 'subscription' | 'unknown' = 'unknown'
  let response: TRPCResponse | TRPCResponse[]
  try {
    const query = req.url.indexOf('?')
    const info = await getRequestInfo({
      req: request,
      path: decodePath(path),
      router,
      searchParams: new URLSearchParams(query === -1 ? '' : req.url.slice(query + 1)),
      headers: request.headers,
      url: null,
      maxBatchSize: MAX_BATCH_SIZE,
    })
    type = info.type
    const callCtx = contextFromRequest(services, 'trpc', req)
    ctx = callCtx
    const results = await Promise.all(
      info.calls.map(async (call): Promise<TRPCResponse> => {
        const procedure = call.procedure
        try {
          if (!procedure)
            throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${call.path}"` })
          const accepted = ACCEPTED_METHOD[procedure._def.type]
          if (req.method !== accepted) {
            reply.header('allow', accepted)
            throw new TRPCError({
              code: 'METHOD_NOT_SUPPORTED',
              message: `Unsupported ${req.method}-request to ${procedure._def.type} procedure at path "${call.path}"`,
            })
          }
          const data = await procedure({
            path: call.path,
            getRawInput: call.getRawInput,
            ctx: callCtx,
            type: procedure._def.type,
            signal: request.signal,
            batchIndex: call.batchIndex,
          })
          return { result: { data } }
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause)
          const input = call.result()
          errors.push(error)
          logServerFault({ error, path: call.path, req })
          const callType = procedure?._def.type ?? 'unknown'
          return { error: getErrorShape({ config, ctx, error, input, path: call.path, type: callType }) }
        }
      }),
    )
    response = info.isBatchCall ? results : (results[0] as TRPCResponse)
  } catch (cause) {
    // The request as a whole: bad path or input encoding, batch too large, wrong content type.
    const error = getTRPCErrorFromUnknown(cause)
    errors.push(error)
    logServerFault({ error, path: undefined, req })
    response = { error: getErrorShape({ config, ctx, error, input: undefined, path: undefined, type }) }
  }
  reply.status(getHTTPStatusCode(response, errors))
  reply.header('vary', 'trpc-accept, accept').header('content-type', 'application/json')
  for (const [name, value] of Object.entries(errorHeaders(errors))) reply.header(name, value)
  return JSON.stringify(transformTRPCResponse(config, response))
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch (cause) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `Invalid URL-encoding in path "${path}"`, cause })
  }
}

type LeanRequest = Pick<Request, 'method' | 'signal' | 'text'> & { headers: Headers }

/**
 * The part of a Fetch `Request` that tRPC reads for a plain call. The signal still aborts
 * when the client goes away.
 */
function leanRequest(req: FastifyRequest, reply: FastifyReply): Request {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort()
  })
  const header = (name: string) => {
    const value = req.headers[name.toLowerCase()]
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
  }
  const headers: Pick<Headers, 'get' | 'has'> = { get: header, has: (name) => header(name) !== null }
  const lean: LeanRequest = {
    method: req.method,
    headers: headers as Headers,
    signal: controller.signal,
    text: async () => (typeof req.body === 'string' ? req.body : ''),
  }
  return lean as Request
}
