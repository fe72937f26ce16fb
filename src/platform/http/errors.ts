// One error envelope for every response: `{ error: { code, message, details?, requestId } }`.
// Known errors map to their status; Fastify's own errors (validation, body size, media type, JSON)
// map to the API-CONVENTIONS codes; anything else is a 500 whose body carries no internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { Type } from 'typebox'
import { AppError, UnsupportedMediaTypeError, type ErrorDetail } from '../errors.js'

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ['validation_failed'] }),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
      requestId: Type.String(),
    }),
  },
  { $id: 'ErrorEnvelope', title: 'Error' },
)

interface AjvError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

function validationDetails(errors: AjvError[], context: string | undefined): ErrorDetail[] {
  return errors.map((e) => {
    let path = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') {
      path = path ? `${path}.${e.params.missingProperty}` : e.params.missingProperty
      message = 'is required'
    } else if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') {
      path = path ? `${path}.${e.params.additionalProperty}` : e.params.additionalProperty
      message = 'is not a known field'
    }
    if (!path && context && context !== 'body') path = context
    return { path, message }
  })
}

function send(reply: FastifyReply, request: FastifyRequest, status: number, code: string, message: string, details?: ErrorDetail[]) {
  return reply.status(status).send({ error: { code, message, ...(details?.length ? { details } : {}), requestId: request.id } })
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'Request body is too large'],
  FST_REQ_FILE_TOO_LARGE: [413, 'payload_too_large', 'Uploaded file is too large'],
  FST_FILES_LIMIT: [413, 'payload_too_large', 'Too many files in the upload'],
  FST_PARTS_LIMIT: [413, 'payload_too_large', 'Too many parts in the upload'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported Content-Type'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported_media_type', 'Expected a multipart/form-data request'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'validation_failed', 'Body must not be empty when Content-Type is application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'Body is not valid JSON'],
  FST_ERR_CTP_EMPTY_TYPE: [400, 'bad_request', 'Content-Type must not be empty'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'Unsupported Content-Type'],
}

/**
 * Fastify parses text/plain, and the multipart plugin accepts multipart bodies, on every route; a route
 * whose schema expects JSON (or whatever its `consumes` names) answers 415 to any other media type
 * rather than a confusing "body must be object".
 */
function requireMediaType(consumes: string[]): preValidationAsyncHookHandler {
  return async (request) => {
    const header = request.headers['content-type']
    if (header === undefined) return
    const type = header.split(';')[0]!.trim().toLowerCase()
    const json = consumes.includes('application/json') && /^application\/[\w.+-]+\+json$/.test(type)
    if (!consumes.includes(type) && !json) {
      throw new UnsupportedMediaTypeError(`Send the body as ${consumes.join(' or ')}, not ${type || 'an empty Content-Type'}`)
    }
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorEnvelope)

  app.addHook('onRoute', (route) => {
    const schema = route.schema as { body?: unknown; consumes?: string[] } | undefined
    if (!schema?.body) return
    const check = requireMediaType(schema.consumes ?? ['application/json'])
    route.preValidation = [...[route.preValidation ?? []].flat(), check]
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err.headers) void reply.headers(err.headers)
      if (err.status >= 500) request.log.error({ err }, 'request failed')
      return send(reply, request, err.status, err.code, err.message, err.details)
    }
    if (err.validation) {
      const details = validationDetails(err.validation as AjvError[], err.validationContext)
      return send(reply, request, 400, 'validation_failed', `Invalid ${err.validationContext ?? 'request'}`, details)
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined
    if (known) return send(reply, request, known[0], known[1], known[2])
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return send(reply, request, 400, 'invalid_json', 'Body is not valid JSON')
    }
    if (err.statusCode === 429) {
      return send(reply, request, 429, 'rate_limited', err.message || 'Too many requests, slow down')
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return send(reply, request, err.statusCode, 'bad_request', err.message)
    }
    request.log.error({ err }, 'unhandled error')
    return send(reply, request, 500, 'internal_error', 'Something went wrong on our side; it has been logged')
  })

  // 404 for unknown paths, 405 (with Allow) for a known path with another method. A second router
  // holding every route's pattern answers "which methods exist for this path".
  const known = FindMyWay({ ignoreTrailingSlash: true })
  const methods = new Set<HTTPMethod>()
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat().map((x) => x.toUpperCase() as HTTPMethod)) {
      if (m === 'HEAD' || m === 'OPTIONS') continue
      methods.add(m)
      if (!known.hasRoute(m, route.url)) known.on(m, route.url, () => {})
    }
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url
    const allowed = [...methods].filter((m) => m !== request.method && known.find(m, path) !== null)
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '))
      return send(reply, request, 405, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}`)
    }
    return send(reply, request, 404, 'not_found', `No route ${request.method} ${path}`)
  })
}
