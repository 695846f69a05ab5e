import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { GENERATED_FILES, readOpenApiDocument, renderOpenApiTypes, renderRouterTypes } from './codegen.js'

/** Rewrites `src/generated/` from the committed OpenAPI document and the server's router type. */
const outputs: [URL, string][] = [
  [GENERATED_FILES.openapi, await renderOpenApiTypes(readOpenApiDocument())],
  [GENERATED_FILES.router, renderRouterTypes()],
]
mkdirSync(new URL('.', GENERATED_FILES.openapi), { recursive: true })
for (const [file, text] of outputs) {
  writeFileSync(file, text)
  console.log(`wrote ${fileURLToPath(file)}`)
}
