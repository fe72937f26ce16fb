// buildApp(platform) → the Fastify instance: platform plugins first, then every module's routes under
// /api/v1. `/api/...` is an alias of the newest version, done as a URL rewrite so each route exists once.
import { randomUUID } from 'node:crypto'
import cors from '@fastify/cors'
import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { modules } from './modules/index.js'
import { registerErrorHandling } from './platform/http/errors.js'
import { registerSecurityHeaders } from './platform/http/security-headers.js'
import { registerGuard } from './platform/http/guard.js'
import { registerHealth } from './platform/http/health.js'
import { parseNestedQuery } from './platform/http/lists.js'
import { registerMetrics } from './platform/metrics.js'
import { registerOpenApi } from './platform/http/openapi.js'
import type { Platform } from './platform/platform.js'

export const API_PREFIX = '/api/v1'
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/

export function rewriteApiAlias(url: string): string {
  if (url === '/api' || url.startsWith('/api/v1/') || url === '/api/v1' || !url.startsWith('/api/')) return url
  return `/api/v1/${url.slice('/api/'.length)}`
}

export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const { config } = platform
  const app = Fastify({
    loggerInstance: platform.log,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.BODY_LIMIT,
    // false: genReqId always runs, so a client's X-Request-Id is used only when it is well-formed.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID()
    },
    rewriteUrl: (req) => rewriteApiAlias(req.url ?? '/'),
    // `filter[field][op]=v` arrives nested, so list routes validate filters with ordinary schemas.
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseNestedQuery },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id)
  })

  registerErrorHandling(app)
  registerSecurityHeaders(app)
  await app.register(cors, {
    origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
    credentials: true,
    exposedHeaders: ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'etag', 'idempotent-replayed'],
  })
  registerGuard(app, platform)
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: 60_000,
    enableDraftSpec: true,
    // Per user, per API key, else per IP. Credentials were read (not trusted yet) by the guard's onRequest hook.
    keyGenerator: (req) => {
      const p = req.principal
      if (p?.kind === 'user') return `u:${p.userId}`
      if (p?.kind === 'api_key') return `k:${p.keyHash}`
      return `ip:${req.ip}`
    },
    errorResponseBuilder: (_req, ctx) => {
      const err = new Error(`Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`) as Error & { statusCode: number }
      err.statusCode = 429
      return err
    },
  })
  // Uploads are streamed by the routes that take them; these are the parser's outer bounds, and each
  // route applies its own smaller per-kind limits.
  const largestUpload = Math.max(config.FILE_MAX_IMAGE_BYTES, config.FILE_MAX_VIDEO_BYTES, config.FILE_MAX_AUDIO_BYTES, config.FILE_MAX_DOCUMENT_BYTES)
  await app.register(multipart, {
    limits: { fileSize: largestUpload + 1, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 20, headerPairs: 100 },
  })
  await registerOpenApi(app, platform)
  registerHealth(app, platform, { expectWorker: config.RUN_WORKER })
  registerMetrics(app, platform.metrics, config.METRICS_TOKEN)

  for (const mod of modules) {
    await app.register(mod.routes(platform), { prefix: API_PREFIX })
  }
  return app
}
