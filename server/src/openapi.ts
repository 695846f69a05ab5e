import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi'
import { type AppRouter, routeMetaByPath } from './trpc/router.js'

export const API_VERSION = '1.0.0'

/**
 * The OpenAPI 3 document of the REST door, generated from the router. trpc-to-openapi
 * documents every success as 200; the statuses the route meta names are put right here,
 * as the runtime answers them.
 */
export function buildOpenApiDocument(router: AppRouter): OpenAPIObject {
  const document = generateOpenApiDocument(router, {
    title: 'Todo API',
    version: API_VERSION,
    description: 'Multi-user tasks. The same procedures are served as tRPC at `/trpc`.',
    baseUrl: '/api',
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  })
  for (const meta of routeMetaByPath(router).values()) {
    if (!meta.openapi || !meta.successStatus) continue
    const operation = document.paths?.[meta.openapi.path]?.[lower(meta.openapi.method)]
    const responses = operation?.responses as Record<string, unknown> | undefined
    if (!responses?.['200']) continue
    responses[meta.successStatus] = meta.successStatus === 204 ? { description: 'Done; no content' } : responses['200']
    delete responses['200']
  }
  return document
}

function lower<M extends string>(method: M): Lowercase<M> {
  return method.toLowerCase() as Lowercase<M>
}
