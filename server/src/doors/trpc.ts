import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
  type TRPCProcedureType,
  transformTRPCResponse,
} from '@trpc/server'
import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify'
import { getHTTPStatusCode } from '@trpc/server/http'
import type { TRPCResponse } from '@trpc/server/rpc'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type Context, contextFromRequest, type Services } from '../trpc/context.js'
import { logServerFault } from '../trpc/error-shape.js'
import { errorResponseMeta } from '../trpc/response-meta.js'
import { type AppRouter, proceduresByPath } from '../trpc/router.js'
import { answerFastifyError } from './http-errors.js'
import { type RequestInfo, readRequestInfo } from './trpc-request-info.js'

export type TrpcHandlerOptions = FastifyTRPCPluginOptions<AppRouter>['trpcOptions']

/**
 * How tRPC's handler serves the router: what `fastifyTRPCPlugin` would be given. The door
 * below passes the same options to tRPC's handler and honours them on its direct path.
 */
export function trpcHandlerOptions(router: AppRouter, services: Services): TrpcHandlerOptions {
  return {
    router,
    allowBatching: true,
    maxBatchSize: 50,
    createContext: ({ req, res }) => contextFromRequest(services, 'trpc', req, res),
    responseMeta: ({ errors, paths }) => errorResponseMeta(errors, paths?.length ?? 1),
    onError: logServerFault,
  }
}

/**
 * Errors Fastify raises before tRPC runs (a body too large, say) still reach tRPC clients
 * in tRPC's error envelope.
 */
export function trpcFastifyErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return answerFastifyError(error, request, reply, 'trpc')
}

export interface TrpcDoorOptions {
  router: AppRouter
  services: Services
}

/** The tRPC door at `/trpc` (batching on). Encapsulated: its JSON parsing is its own. */
export async function trpcDoor(app: FastifyInstance, { router, services }: TrpcDoorOptions) {
  const options = trpcHandlerOptions(router, services)
  app.setErrorHandler(trpcFastifyErrorHandler)
  // What fastifyTRPCPlugin registers, with a direct path for plain JSON calls (below).
  // @see https://github.com/trpc/trpc/blob/main/packages/server/src/adapters/fastify/fastifyTRPCPlugin.ts
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.removeContentTypeParser('multipart/form-data')
  app.addContentTypeParser('multipart/form-data', {}, (_request, body, done) => done(null, body))
  // Subscriptions stream through tRPC's handler, whatever the request looks like.
  const subscriptions = proceduresByPath(router)
    .filter(([, procedure]) => procedure._def.type === 'subscription')
    .map(([path]) => path)
  const callsSubscription = (path: string) => subscriptions.some((subscription) => path.includes(subscription))
  app.all<{ Params: { path: string } }>('/:path', async (req, reply) => {
    const path = req.params.path
    if (!isPlainCall(req) || callsSubscription(path))
      return fastifyRequestHandler({ ...options, req, res: reply, path })
    return reply.send(await answerPlainCall(options, path, req, reply))
  })
}

/**
 * A query or mutation with a JSON body or none, answered with JSON: what the tRPC clients'
 * HTTP links send. Streams (`trpc-accept: application/jsonl`), subscriptions (SSE), `HEAD`
 * and form data take tRPC's own handler.
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

const ACCEPTED_METHODS: Record<TRPCProcedureType, string[]> = {
  query: ['GET'],
  mutation: ['POST'],
  subscription: ['GET'],
}
const ACCEPTED_METHODS_WITH_OVERRIDE: Record<TRPCProcedureType, string[]> = {
  query: ['GET', 'POST'],
  mutation: ['POST'],
  subscription: ['GET', 'POST'],
}

/**
 * Answers a plain call (single or batched) as tRPC's `resolveResponse` answers it, with
 * tRPC's public pieces (`callTRPCProcedure`, `getTRPCErrorShape`, `getHTTPStatusCode`,
 * `transformTRPCResponse`) and its request reader (./trpc-request-info.ts). What it leaves
 * out is the Fetch glue around them (a `Request`, `Headers`, `URL`, an `AbortSignal`
 * combined per call, a `Response` whose body is read back): that glue made the tRPC door
 * ~0.1 ms a call slower than the REST door. The options tRPC's handler honours
 * (`allowBatching`, `allowMethodOverride`, `maxBatchSize`, `responseMeta`, `onError`, the
 * router's `pathSeparator`) are honoured the same way.
 * tests/integration/trpc-parity.test.ts holds the two paths to the same answers.
 */
async function answerPlainCall(
  options: TrpcHandlerOptions,
  path: string,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<string> {
  const { router } = options
  const config = router._def._config
  const request = leanRequest(req, reply)
  const errors: TRPCError[] = []
  const methods = options.allowMethodOverride ? ACCEPTED_METHODS_WITH_OVERRIDE : ACCEPTED_METHODS
  const methodOverride = options.allowMethodOverride === true && req.method === 'POST'
  let info: RequestInfo | undefined
  let ctx: Context | undefined
  let response: TRPCResponse | TRPCResponse[]
  const fail = (
    cause: unknown,
    call: { path: string | undefined; input: unknown; type: TRPCProcedureType | 'unknown' },
  ) => {
    const error = getTRPCErrorFromUnknown(cause)
    errors.push(error)
    options.onError?.({ error, path: call.path, input: call.input, ctx, type: call.type, req })
    return {
      error: getTRPCErrorShape({ config, ctx, error, input: call.input, path: call.path, type: call.type }),
    }
  }
  try {
    const query = req.url.indexOf('?')
    info = await readRequestInfo({
      req: request,
      path: procedurePath(decodePath(path), config.pathSeparator),
      router,
      searchParams: new URLSearchParams(query === -1 ? '' : req.url.slice(query + 1)),
      headers: request.headers,
      url: null,
      maxBatchSize: options.maxBatchSize,
    })
    if (info.isBatchCall && options.allowBatching === false) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Batching is not enabled on the server' })
    }
    const callCtx = (await options.createContext?.({ req, res: reply, info })) as Context
    ctx = callCtx
    const results = await Promise.all(
      info.calls.map(async (call): Promise<TRPCResponse> => {
        const procedure = call.procedure
        const type = procedure?._def.type ?? 'unknown'
        try {
          if (!procedure) {
            throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${call.path}"` })
          }
          if (!methods[type as TRPCProcedureType].includes(req.method)) {
            reply.header('allow', methods[type as TRPCProcedureType].join(', '))
            throw new TRPCError({
              code: 'METHOD_NOT_SUPPORTED',
              message: `Unsupported ${req.method}-request to ${type} procedure at path "${call.path}"`,
            })
          }
          const data = await callTRPCProcedure({
            router,
            path: call.path,
            getRawInput: call.getRawInput,
            ctx: callCtx,
            type: type as TRPCProcedureType,
            signal: request.signal,
            batchIndex: call.batchIndex,
            allowMethodOverride: methodOverride,
          })
          return { result: { data } }
        } catch (cause) {
          return fail(cause, { path: call.path, input: call.result(), type })
        }
      }),
    )
    response = info.isBatchCall ? results : (results[0] as TRPCResponse)
  } catch (cause) {
    // The request as a whole: bad path or input encoding, batch too large, wrong content type.
    response = fail(cause, { path: undefined, input: undefined, type: info?.type ?? 'unknown' })
  }
  let status = getHTTPStatusCode(response, errors)
  const meta = options.responseMeta?.({
    ctx,
    info,
    paths: info?.calls.map((call) => call.path),
    data: (Array.isArray(response) ? response : [response]) as never,
    errors,
    eagerGeneration: false,
    type: info?.type ?? 'unknown',
  })
  if (meta?.status) status = meta.status
  reply.status(status)
  reply.header('vary', 'trpc-accept, accept').header('content-type', 'application/json')
  for (const [name, value] of Object.entries(meta?.headers ?? {})) if (value !== undefined) reply.header(name, value)
  return JSON.stringify(transformTRPCResponse(config, response))
}

/** `tasks~list` → `tasks.list` when the router has another path separator, as tRPC reads URLs. */
function procedurePath(urlPath: string, separator: string): string {
  return separator === '.' ? urlPath : urlPath.split(separator).join('.')
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
