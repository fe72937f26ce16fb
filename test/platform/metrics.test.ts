import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'

let t: TestApp

/** The value of one sample in the Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4])
  }
  return undefined
}

beforeAll(async () => {
  t = await createTestApp(
    {},
    {
      routes: (app) => {
        app.get('/api/v1/test-metrics/:id', { config: { auth: 'none' } }, async () => ({ ok: true }))
      },
    },
  )
  // Queue state before the first scrape: two due jobs, one of them out of attempts, one in the future.
  const owner = t.platform.db.owner
  await t.platform.jobs.enqueue(owner, 'metrics.test', { n: 1 })
  await t.platform.jobs.enqueue(owner, 'metrics.test', { n: 2 }, { runAt: new Date(Date.now() + 3_600_000) })
  await t.platform.jobs.enqueue(owner, 'metrics.test', { n: 3 }, { maxAttempts: 1 })
  await sql`UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'boom' WHERE max_attempts = 1`.execute(owner)
})
afterAll(() => t.close())

const scrape = async (headers: Record<string, string> = {}) => {
  const res = await t.request({ method: 'GET', url: '/metrics', headers })
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toMatch(/^text\/plain/)
  return res.body
}

describe('/metrics', () => {
  it('times requests by route pattern, method and status, not by raw URL', async () => {
    await t.request({ method: 'GET', url: '/api/test-metrics/0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11' })
    await t.request({ method: 'GET', url: '/api/v1/test-metrics/42' })
    await t.request({ method: 'GET', url: '/healthz' })
    await t.request({ method: 'GET', url: '/no/such/path/123' })
    const text = await scrape()
    const count = (labels: Record<string, string>) => sample(text, 'luminous_http_request_duration_seconds_count', labels)
    expect(count({ route: '/api/v1/test-metrics/:id', method: 'GET', status_code: '200' })).toBe(2)
    expect(count({ route: '/healthz', status_code: '200' })).toBeGreaterThanOrEqual(1)
    expect(count({ route: '(unmatched)', status_code: '404' })).toBe(1)
    expect(text).not.toContain('9b11')
    expect(text).not.toContain('/no/such/path')
    expect(sample(text, 'luminous_http_request_duration_seconds_bucket', { route: '/healthz', le: '+Inf' })).toBeGreaterThanOrEqual(1)
  })

  it('reports both database pools', async () => {
    const text = await scrape()
    for (const pool of ['app', 'owner']) {
      for (const state of ['total', 'idle', 'waiting']) {
        expect(sample(text, 'luminous_db_pool_connections', { pool, state }), `${pool} ${state}`).toBeGreaterThanOrEqual(0)
      }
    }
    expect(sample(text, 'luminous_db_pool_connections', { pool: 'owner', state: 'total' })).toBeGreaterThan(0)
  })

  it('reports the job queue by state', async () => {
    const text = await scrape()
    expect(sample(text, 'luminous_jobs', { state: 'ready' })).toBe(1)
    expect(sample(text, 'luminous_jobs', { state: 'scheduled' })).toBe(1)
    expect(sample(text, 'luminous_jobs', { state: 'failed' })).toBe(1)
    expect(sample(text, 'luminous_jobs', { state: 'running' })).toBe(0)
  })

  it('reports open sockets as counted by the realtime layer', async () => {
    expect(sample(await scrape(), 'luminous_socket_connections')).toBe(0)
    t.platform.metrics.trackSockets(() => 3)
    expect(sample(await scrape(), 'luminous_socket_connections')).toBe(3)
  })

  it('includes Node’s own metrics, event-loop lag among them', async () => {
    const text = await scrape()
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('stays out of the OpenAPI document', async () => {
    const doc = await t.request({ method: 'GET', url: '/api/v1/openapi.json' })
    expect(Object.keys(doc.data.paths)).not.toContain('/metrics')
  })
})

describe('/metrics with METRICS_TOKEN', () => {
  let secured: TestApp
  beforeAll(async () => {
    secured = await createTestApp({ METRICS_TOKEN: 'scrape-secret' })
  })
  afterAll(() => secured.close())

  it('requires the bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'scrape-secret' }] as Record<string, string>[]) {
      const res = await secured.request({ method: 'GET', url: '/metrics', headers })
      expect(res.statusCode).toBe(401)
      expect(res.data.error.code).toBe('unauthenticated')
    }
    const ok = await secured.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } })
    expect(ok.statusCode).toBe(200)
    expect(ok.body).toContain('luminous_http_request_duration_seconds')
  })
})
