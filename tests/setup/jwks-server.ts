import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How a misbehaving key server answers `GET /jwks`. */
export type JwksBehaviour = 'hang' | 'huge' | 'malformed' | 'error' | { keys: unknown[] }

/** A JWKS endpoint whose behaviour a test chooses, to see how the API copes with it. */
export async function startJwksServer(initial: JwksBehaviour) {
  let behaviour = initial
  let requests = 0
  const hanging = new Set<ServerResponse>()
  const server = createServer((_request, response) => {
    requests++
    if (behaviour === 'hang') {
      hanging.add(response)
      return
    }
    if (behaviour === 'error') return void response.writeHead(500).end('oops')
    if (behaviour === 'malformed')
      return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [{')
    if (behaviour === 'huge') {
      // 8 MB of one JSON document, without a content-length to give it away.
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"keys": [], "padding": "')
      const chunk = 'x'.repeat(64 * 1024)
      for (let i = 0; i < 128; i++) response.write(chunk)
      return void response.end('"}')
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
  return {
    url,
    requests: () => requests,
    behave: (next: JwksBehaviour) => {
      behaviour = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
