import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'

export interface DocsPluginOptions {
  /** The OpenAPI document the page renders. */
  specUrl: string
}

const require = createRequire(import.meta.url)
// The package folder, without importing its index (which would load the browser bundle).
const dist = dirname(require.resolve('swagger-ui-dist/package.json'))
const { version } = require('swagger-ui-dist/package.json') as { version: string }

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

/**
 * `GET /docs`: Swagger UI served from this server (no CDN, works offline), with no inline
 * script or style, so a strict Content-Security-Policy holds.
 */
export async function docsPlugin(app: FastifyInstance, { specUrl }: DocsPluginOptions) {
  const v = `?v=${version}`
  const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Todo API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png${v}">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css${v}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js${v}"></script>
  <script src="/docs/assets/init.js${v}"></script>
</body>
</html>
`
  // validatorUrl: null, or the page would ask validator.swagger.io about the document.
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null })\n`

  const files = new Map<string, { body: Buffer; type: string }>()
  for (const [name, type] of Object.entries(ASSETS)) files.set(name, { body: readFileSync(join(dist, name)), type })
  files.set('init.js', { body: Buffer.from(init), type: 'application/javascript; charset=utf-8' })

  // The server's root has nothing of its own: the docs are what a person opening it wants.
  app.get('/', (_request, reply) => reply.redirect('/docs'))
  app.get('/docs', (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  )
  app.get<{ Params: { file: string } }>('/docs/assets/:file', (request, reply) => {
    const file = files.get(request.params.file)
    if (!file) return reply.callNotFound()
    return reply.type(file.type).header('cache-control', 'public, max-age=86400').send(file.body)
  })
}
