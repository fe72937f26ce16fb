// No route without a schema: every /api route is in the OpenAPI document with a summary, tags, a
// success response schema, and (for bodies) a body schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeCatalog } from '../../src/platform/http/openapi.js'
import { createTestApp, type TestApp } from '../support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

describe('OpenAPI document', () => {
  it('describes every API route with a summary, tags and response schemas', async () => {
    const doc = (await t.request({ method: 'GET', url: '/api/v1/openapi.json' })).data
    const problems: string[] = []
    const apiRoutes = routeCatalog(t.app).filter((r) => r.url.startsWith('/api/v1/') && !r.hidden && r.method !== 'OPTIONS')
    expect(apiRoutes.length).toBeGreaterThan(0)
    for (const r of apiRoutes) {
      const name = `${r.method} ${r.url}`
      const op = doc.paths?.[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]
      if (!op) {
        problems.push(`${name}: missing from the document`)
        continue
      }
      if (!op.summary) problems.push(`${name}: no summary`)
      if (!op.tags?.length) problems.push(`${name}: no tags`)
      const responses = r.schema.response as Record<string, unknown> | undefined
      if (!responses || !Object.keys(responses).some((s) => /^2\d\d$/.test(s))) problems.push(`${name}: no 2xx response schema`)
      if (['POST', 'PUT', 'PATCH'].includes(r.method) && !r.schema.body && !r.schema.consumes) {
        problems.push(`${name}: no body schema`)
      }
      if (/:[A-Za-z]/.test(r.url) && !r.schema.params) problems.push(`${name}: no params schema`)
    }
    expect(problems).toEqual([])
  })

  it('marks authenticated routes with their security schemes', async () => {
    const doc = (await t.request({ method: 'GET', url: '/api/v1/openapi.json' })).data
    for (const r of routeCatalog(t.app)) {
      if (!r.url.startsWith('/api/v1/') || r.hidden || r.config.auth === 'none' || r.method === 'OPTIONS') continue
      const op = doc.paths[toOpenApiPath(r.url)][r.method.toLowerCase()]
      expect(op.security, `${r.method} ${r.url}`).toEqual([{ bearerAuth: [] }, { apiKey: [] }])
    }
  })
})
