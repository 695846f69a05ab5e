import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { openApiDocumentText } from '../openapi-document.js'
import { appRouter } from '../trpc/router.js'

/** The committed document, what clients are generated from; a test fails when it differs from the code. */
const target = new URL('../../../contracts/openapi.json', import.meta.url)

writeFileSync(target, openApiDocumentText(appRouter))
console.log(`wrote ${fileURLToPath(target)}`)
