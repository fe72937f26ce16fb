// The error envelope for what Fastify itself refuses (body size, media type, malformed JSON), for
// unexpected failures, rate limits, and the ETag / If-Match helpers.
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkIfMatch, etagOf, sendEtag } from '../../src/platform/http/etag.js'
import { Obj } from '../../src/platform/http/schemas.js'
import { ConflictError, ValidationError } from '../../src/platform/errors.js'
import { createTestApp, type TestApp } from '../support/app.js'

let t: TestApp
const doc = { version: 1, title: 'first' }

beforeAll(async () => {
  t = await createTestApp(
    { BODY_LIMIT: '2048' },
    {
      routes: (app) => {
        app.post(
          '/api/v1/test-http/echo',
          { config: { auth: 'none' }, schema: { body: Obj({ name: Type.String({ minLength: 1 }), tags: Type.Optional(Type.Array(Type.String())) }) } },
          async (request) => request.body,
        )
        app.get('/api/v1/test-http/boom', { config: { auth: 'none' } }, async () => {
          throw new Error('connection string postgres://secret@db leaked')
        })
        app.get('/api/v1/test-http/doc', { config: { auth: 'none' } }, async (_request, reply) => {
          sendEtag(reply, etagOf(doc.version))
          return doc
        })
        app.patch(
          '/api/v1/test-http/doc',
          { config: { auth: 'none' }, schema: { body: Obj({ title: Type.String() }) } },
          async (request, reply) => {
            checkIfMatch(request, etagOf(doc.version))
            doc.title = (request.body as { title: string }).title
            doc.version++
            sendEtag(reply, etagOf(doc.version))
            return doc
          },
        )
      },
    },
  )
})
afterAll(() => t.close())

const echo = (payload: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  t.request({ method: 'POST', url: '/api/test-http/echo', payload, headers })

describe('request bodies', () => {
  it('accepts JSON with a charset', async () => {
    const res = await echo('{"name":"a"}', { 'content-type': 'application/json; charset=utf-8' })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ name: 'a' })
  })

  it('answers 413 payload_too_large over BODY_LIMIT', async () => {
    const res = await echo({ name: 'x'.repeat(4096) })
    expect(res.statusCode).toBe(413)
    expect(res.data.error).toMatchObject({ code: 'payload_too_large', requestId: res.headers['x-request-id'] })
  })

  it.each([
    ['text/plain', 'name=a'],
    ['application/xml', '<name>a</name>'],
    ['application/x-www-form-urlencoded', 'name=a'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--x--\r\n'],
  ])('answers 415 unsupported_media_type for %s', async (type, body) => {
    const res = await echo(body, { 'content-type': type })
    expect(res.statusCode).toBe(415)
    expect(res.data.error.code).toBe('unsupported_media_type')
  })

  it.each(['{"name":', '{name: "a"}', "{'name':'a'}", '[1,2', 'null x'])('answers 400 invalid_json for %s', async (body) => {
    const res = await echo(body)
    expect(res.statusCode).toBe(400)
    expect(res.data.error.code).toBe('invalid_json')
  })

  it('answers 400 for an empty JSON body', async () => {
    const res = await echo('')
    expect(res.statusCode).toBe(400)
    expect(res.data.error.code).toBe('validation_failed')
  })

  it('refuses a prototype-polluting body without touching Object.prototype', async () => {
    const res = await echo('{"name":"a","__proto__":{"polluted":true}}')
    expect(res.statusCode).toBe(400)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('answers 400 validation_failed with every bad field’s path', async () => {
    const res = await echo({ name: '', tags: [1, {}], extra: true })
    expect(res.statusCode).toBe(400)
    expect(res.data.error.code).toBe('validation_failed')
    const paths = res.data.error.details.map((d: { path: string }) => d.path)
    expect(paths).toEqual(expect.arrayContaining(['name', 'tags.1', 'extra']))
  })
})

describe('failures', () => {
  it('answers 500 without internals and with the request id', async () => {
    const res = await t.request({ method: 'GET', url: '/api/test-http/boom', headers: { 'x-request-id': 'trace-me-1' } })
    expect(res.statusCode).toBe(500)
    expect(res.data).toEqual({ error: { code: 'internal_error', message: expect.any(String) as unknown, requestId: 'trace-me-1' } })
    expect(res.body).not.toContain('secret')
    expect(res.body).not.toContain('stack')
  })

  it('replaces a malformed X-Request-Id with its own', async () => {
    const res = await t.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } })
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('sends the security headers', async () => {
    const res = await t.request({ method: 'GET', url: '/healthz' })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBeDefined()
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
  })
})

describe('rate limits', () => {
  let limited: TestApp
  beforeAll(async () => {
    limited = await createTestApp({ RATE_LIMIT_MAX: '3' })
  })
  afterAll(() => limited.close())

  it('answers 429 rate_limited with Retry-After and RateLimit headers', async () => {
    const get = () => limited.request({ method: 'GET', url: '/api/v1/openapi.json' })
    const first = await get()
    expect(first.headers['ratelimit-limit']).toBe('3')
    expect(first.headers['ratelimit-remaining']).toBe('2')
    await get()
    await get()
    const res = await get()
    expect(res.statusCode).toBe(429)
    expect(res.data.error.code).toBe('rate_limited')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.headers['ratelimit-reset']).toBeDefined()
  })
})

describe('ETag and If-Match', () => {
  it('derives stable, distinct strong tags', () => {
    expect(etagOf(1)).toBe(etagOf(1))
    expect(etagOf(1)).not.toBe(etagOf(2))
    expect(etagOf(new Date('2026-01-01T00:00:00.001Z'))).not.toBe(etagOf(new Date('2026-01-01T00:00:00.002Z')))
    expect(etagOf(1)).toMatch(/^"[A-Za-z0-9_-]+"$/)
  })

  it('lets a write through with the current tag, *, a weakened tag or no If-Match; refuses a stale one with 409', async () => {
    const read = await t.request({ method: 'GET', url: '/api/test-http/doc' })
    const etag = read.headers.etag as string
    expect(etag).toBe(etagOf(doc.version))
    const patch = (headers: Record<string, string>, title: string) =>
      t.request({ method: 'PATCH', url: '/api/test-http/doc', payload: { title }, headers })

    const ok = await patch({ 'if-match': etag }, 'second')
    expect(ok.statusCode).toBe(200)
    expect(ok.headers.etag).not.toBe(etag)

    const stale = await patch({ 'if-match': etag }, 'lost update')
    expect(stale.statusCode).toBe(409)
    expect(stale.data.error.code).toBe('version_conflict')
    expect(doc.title).toBe('second')

    expect((await patch({ 'if-match': `"nope", W/${ok.headers.etag as string}` }, 'third')).statusCode).toBe(200)
    expect((await patch({ 'if-match': '*' }, 'fourth')).statusCode).toBe(200)
    expect((await patch({}, 'fifth')).statusCode).toBe(200)
    const bad = await patch({ 'if-match': 'not-quoted' }, 'sixth')
    expect(bad.statusCode).toBe(400)
    expect(bad.data.error.details[0].path).toBe('if-match')
  })

  it('can require If-Match and takes the header itself as well as a request', () => {
    expect(() => checkIfMatch(undefined, etagOf(1), { required: true })).toThrow(ValidationError)
    expect(() => checkIfMatch(etagOf(1), etagOf(1))).not.toThrow()
    expect(() => checkIfMatch(etagOf(1), etagOf(2))).toThrow(ConflictError)
    expect(() => checkIfMatch([etagOf(2), etagOf(1)], etagOf(1))).not.toThrow()
  })
})

describe('health probes', () => {
  it('answers /readyz 503 within its timeout when the database cannot serve', async () => {
    // Hold every connection of the app pool so the probe's query waits for one.
    const held = await Promise.all(Array.from({ length: t.platform.db.appPool.options.max }, () => t.platform.db.begin({ orgId: null, userId: null })))
    try {
      const started = Date.now()
      const res = await t.request({ method: 'GET', url: '/readyz' })
      expect(res.statusCode).toBe(503)
      expect(res.data).toMatchObject({ status: 'not_ready', checks: { database: 'failing' } })
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await Promise.all(held.map((tx) => tx.rollback()))
    }
    expect((await t.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
  })

  it('answers /healthz without touching the database', async () => {
    const res = await t.request({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ status: 'ok' })
  })
})
