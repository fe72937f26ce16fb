import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

describe('HTTP platform', () => {
  it('answers unknown paths with the error envelope and a request id', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.data.error).toMatchObject({ code: 'not_found', requestId: res.headers['x-request-id'] })
  })

  it('echoes a well-formed X-Request-Id', async () => {
    const res = await t.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
    expect(res.headers['x-request-id']).toBe('abc-123')
  })

  it('answers 405 with Allow for a known path and the wrong method', async () => {
    const res = await t.request({ method: 'DELETE', url: '/healthz' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toContain('GET')
    expect(res.data.error.code).toBe('method_not_allowed')
  })

  it('serves the OpenAPI document at /api/v1/openapi.json and via the /api alias', async () => {
    const v1 = await t.request({ method: 'GET', url: '/api/v1/openapi.json' })
    expect(v1.statusCode).toBe(200)
    expect(v1.data.openapi).toBe('3.1.0')
    const alias = await t.request({ method: 'GET', url: '/api/openapi.json' })
    expect(alias.statusCode).toBe(200)
  })

  it('reports readiness of the database', async () => {
    const res = await t.request({ method: 'GET', url: '/readyz' })
    expect(res.data.checks.database).toBe('ok')
  })
})
