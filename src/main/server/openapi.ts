import { OpenAPIGenerator } from '@orpc/openapi'
import { ZodToJsonSchemaConverter } from '@orpc/zod/zod4'
import type { AppRouter } from '../core/router'
import { API_PREFIX } from '../../shared/contract'

/** OpenAPI 3.1 document of the REST surface, generated from the same router. */
export async function createOpenApiDocument(router: AppRouter, version: string): Promise<unknown> {
  const generator = new OpenAPIGenerator({ schemaConverters: [new ZodToJsonSchemaConverter()] })
  return generator.generate(router, {
    info: {
      title: 'InferAdmin API',
      version,
      description: 'Manage the local model store and vLLM deployments. Every call needs `Authorization: Bearer <token>` (see server.json).',
    },
    servers: [{ url: API_PREFIX }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    // Event-iterator procedures have no REST route; they are served over WebSocket and MessagePort.
    filter: ({ contract }) => contract['~orpc'].route.path !== undefined,
  })
}
