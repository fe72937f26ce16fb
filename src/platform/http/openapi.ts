// The OpenAPI 3.1 document, generated from the route schemas (so it cannot drift from the code), at
// /api/v1/openapi.json, and an interactive reference page at /docs. Every authenticated route is
// marked with its security schemes and the permission it needs.
import swagger from '@fastify/swagger'
import apiReference from '@scalar/fastify-api-reference'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { PERMISSIONS } from '../auth/permissions.js'
import type { Platform } from '../platform.js'
import type { RouteAuthConfig } from './guard.js'

export interface CatalogEntry {
  method: string
  url: string
  hidden: boolean
  schema: Record<string, unknown>
  config: RouteAuthConfig
}

const catalogs = new WeakMap<FastifyInstance, CatalogEntry[]>()

/** Every route registered on the app, with its schema — for the test that nothing escapes the docs. */
export const routeCatalog = (app: FastifyInstance): CatalogEntry[] => catalogs.get(app) ?? []

export async function registerOpenApi(app: FastifyInstance, platform: Platform): Promise<void> {
  const catalog: CatalogEntry[] = []
  catalogs.set(app, catalog)
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      const schema = (route.schema ?? {}) as Record<string, unknown>
      catalog.push({ method, url: route.url, hidden: schema.hide === true, schema, config: (route.config ?? {}) as RouteAuthConfig })
    }
  })
  // Runs before each route is registered, so the document and the routes agree.
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as RouteAuthConfig
    if (!route.url.startsWith('/api/')) {
      route.schema = { ...route.schema, hide: true }
      return
    }
    if (config.auth === 'none') return
    const schema = (route.schema ?? {}) as Record<string, unknown>
    const response = (schema.response ?? {}) as Record<string, unknown>
    for (const status of [401, 403]) response[status] ??= { $ref: 'ErrorEnvelope#' }
    const note = config.permission
      ? `\n\nRequires the \`${config.permission}\` permission (${PERMISSIONS[config.permission]}).`
      : ''
    route.schema = {
      ...schema,
      security: [{ bearerAuth: [] }, { apiKey: [] }],
      description: `${(schema.description as string | undefined) ?? ''}${note}`.trim(),
      response,
    }
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Luminous API',
        version: '1.0.0',
        description:
          'Conversational-commerce backend: CRM, real-time chat, WhatsApp Business and commerce. ' +
          'Every path is served at `/api/v1/...` and, as an alias of the newest version, at `/api/...`. ' +
          'Errors use one envelope: `{ "error": { "code", "message", "details", "requestId" } }`.',
      },
      servers: [{ url: platform.config.PUBLIC_URL }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from /api/v1/auth/login' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Organization API key' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string | undefined) ?? `def-${i}` },
    // Object-valued query parameters (a list's `filter`) are sent as `filter[field][op]=value`.
    transformObject: (doc) => {
      if (!('openapiObject' in doc)) return doc.swaggerObject
      const { openapiObject } = doc
      for (const item of Object.values(openapiObject.paths ?? {})) {
        for (const op of Object.values(item ?? {}) as { parameters?: { in?: string; schema?: { type?: unknown }; style?: string; explode?: boolean }[] }[]) {
          for (const p of op?.parameters ?? []) {
            if (p.in === 'query' && p.schema?.type === 'object') Object.assign(p, { style: 'deepObject', explode: true })
          }
        }
      }
      return openapiObject
    },
  })

  app.get('/api/v1/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger())

  await app.register(apiReference, {
    routePrefix: '/docs',
    configuration: { url: '/api/v1/openapi.json', title: 'Luminous API reference' },
    hooks: {
      onRequest: (_req, reply, done) => {
        // The reference page runs its own script and styles.
        void reply.header(
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
        )
        done()
      },
    },
  })
}
