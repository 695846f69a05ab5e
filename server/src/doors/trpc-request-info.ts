// The one use of tRPC's internals (`@trpc/server/unstable-core-do-not-import`) in this
// project, kept in this file so that an upgrade knows where to look.
//
// `getRequestInfo` reads which procedures a request calls and their inputs (one call or a
// batch, input from the query string or the JSON body, `lastEventId` for subscriptions),
// exactly as tRPC's own handler does; tRPC has no public equivalent. It mirrors nothing: it
// IS tRPC's function, from @trpc/server 11.25.2
// (`src/unstable-core-do-not-import/http/contentType.ts`).
//
// On upgrading @trpc/server, compare `answerPlainCall` in ./trpc.ts with `resolveResponse` in
// `src/unstable-core-do-not-import/http/resolveResponse.ts` (the non-streaming branch), and
// run tests/integration/trpc-parity.test.ts, which holds the two to the same answers.
import { getRequestInfo } from '@trpc/server/unstable-core-do-not-import'

export type RequestInfo = Awaited<ReturnType<typeof getRequestInfo>>
export type RequestInfoOptions = Parameters<typeof getRequestInfo>[0]

/** The calls of a tRPC request, as tRPC's handler reads them. */
export function readRequestInfo(opts: RequestInfoOptions): Promise<RequestInfo> {
  return getRequestInfo(opts)
}
