// Idempotency keys on a throwaway route that writes an audit row per execution, so each test can
// count how many times the handler really ran.
import { sql } from 'kysely'
import { Type } from 'typebox'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { makeApiKey } from '../../src/platform/auth/tokens.js'
import { StateError } from '../../src/platform/errors.js'
import {
  CLEANUP_TASK,
  deleteExpiredIdempotencyKeys,
  scheduleIdempotencyCleanup,
} from '../../src/platform/http/idempotency.js'
import { newId } from '../../src/platform/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { makeJobsDue, runJobs } from '../support/jobs.js'

let t: TestApp
let runs = 0
let gate: Promise<void> | null = null
let failNext = false

interface Caller {
  orgId: string
  userId: string
  token: string
}

/** A user with a session in an organization, written straight to the database. */
async function caller(orgId = newId()): Promise<Caller> {
  const owner = t.platform.db.owner
  const userId = newId()
  const sessionId = newId()
  await sql`INSERT INTO organizations (id, name, slug) VALUES (${orgId}, 'Org', ${`org-${orgId}`}) ON CONFLICT DO NOTHING`.execute(owner)
  await sql`INSERT INTO users (id, email, password_hash, first_name, last_name)
    VALUES (${userId}, ${`${userId}@example.com`}, 'x', 'Ada', 'Lovelace')`.execute(owner)
  await sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${orgId}, ${userId}, 'agent')`.execute(owner)
  await sql`INSERT INTO sessions (id, user_id, org_id, expires_at) VALUES (${sessionId}, ${userId}, ${orgId}, now() + interval '1 day')`.execute(owner)
  const { token } = await t.platform.tokens.signAccess({ userId, orgId, sessionId })
  return { orgId, userId, token }
}

const post = (c: Caller, payload: unknown, key?: string, url = '/api/v1/test-idem/things') =>
  t.request({ method: 'POST', url, token: c.token, payload: payload as object, headers: key === undefined ? {} : { 'idempotency-key': key } })

const executions = async (orgId: string) =>
  (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_logs WHERE org_id = ${orgId} AND entity = 'idem-test'`.execute(
      t.platform.db.owner,
    )
  ).rows[0]!.n

beforeAll(async () => {
  t = await createTestApp(
    {},
    {
      routes: (app) => {
        const Body = Type.Object({ name: Type.String(), tags: Type.Optional(Type.Array(Type.String())), wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
        const Thing = Type.Object({ id: Type.String(), name: Type.String(), run: Type.Integer(), createdAt: Type.String({ format: 'date-time' }) })
        app.post(
          '/api/v1/test-idem/things',
          { config: { idempotent: true }, schema: { body: Body, response: { 201: Thing } } },
          async (request, reply) => {
            const body = request.body as { name: string; wait?: boolean }
            await sql`INSERT INTO audit_logs (org_id, actor_type, entity, entity_id, action)
              VALUES (${request.ctx.orgId}, 'user', 'idem-test', ${body.name}, 'created')`.execute(request.ctx.db)
            if (body.wait && gate) await gate
            if (failNext) {
              failNext = false
              throw new StateError('refused this once')
            }
            void reply.status(201)
            return { id: newId(), name: body.name, run: ++runs, createdAt: new Date(), internal: 'not serialized' }
          },
        )
        app.post('/api/v1/test-idem/other', { config: { idempotent: true } }, async () => ({ ok: true }))
      },
    },
  )
})
afterAll(() => t.close())
beforeEach(() => {
  gate = null
  failNext = false
})

describe('Idempotency-Key', () => {
  it('stores the first response and replays it with Idempotent-Replayed', async () => {
    const c = await caller()
    const first = await post(c, { name: 'a', tags: ['x'] }, 'key-1')
    expect(first.statusCode).toBe(201)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    expect(first.data.internal).toBeUndefined()
    const again = await post(c, { tags: ['x'], name: 'a' }, 'key-1')
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.data).toEqual(first.data)
    expect(await executions(c.orgId)).toBe(1)
  })

  it('runs every time without a key', async () => {
    const c = await caller()
    await post(c, { name: 'a' })
    const second = await post(c, { name: 'a' })
    expect(second.headers['idempotent-replayed']).toBeUndefined()
    expect(await executions(c.orgId)).toBe(2)
  })

  it('answers 422 idempotency_key_reused for the same key with another body or path', async () => {
    const c = await caller()
    expect((await post(c, { name: 'a' }, 'key-2')).statusCode).toBe(201)
    const other = await post(c, { name: 'b' }, 'key-2')
    expect(other.statusCode).toBe(422)
    expect(other.data.error.code).toBe('idempotency_key_reused')
    const otherPath = await post(c, {}, 'key-2', '/api/v1/test-idem/other')
    expect(otherPath.statusCode).toBe(422)
    expect(await executions(c.orgId)).toBe(1)
  })

  it('stores nothing when the request fails, so the retry runs afresh', async () => {
    const c = await caller()
    failNext = true
    const failed = await post(c, { name: 'a' }, 'key-3')
    expect(failed.statusCode).toBe(422)
    expect(await executions(c.orgId)).toBe(0)
    const retry = await post(c, { name: 'a' }, 'key-3')
    expect(retry.statusCode).toBe(201)
    expect(retry.headers['idempotent-replayed']).toBeUndefined()
    expect(await executions(c.orgId)).toBe(1)
  })

  it('answers 409 to a duplicate that arrives while the first is still running', async () => {
    const c = await caller()
    let open!: () => void
    gate = new Promise((resolve) => (open = resolve))
    const first = post(c, { name: 'slow', wait: true }, 'key-4')
    // Wait until the first request holds its lock (its audit row is written inside the transaction).
    for (let i = 0; i < 100; i++) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(t.platform.db.owner)
      if (rows[0]!.n > 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const duplicate = await post(c, { name: 'slow', wait: true }, 'key-4')
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.data.error.code).toBe('conflict')
    open()
    expect((await first).statusCode).toBe(201)
    const after = await post(c, { name: 'slow', wait: true }, 'key-4')
    expect(after.headers['idempotent-replayed']).toBe('true')
    expect(await executions(c.orgId)).toBe(1)
  })

  it('scopes keys to the caller and the organization', async () => {
    const a = await caller()
    const sameOrg = await caller(a.orgId)
    const otherOrg = await caller()
    await post(a, { name: 'a' }, 'shared')
    const b = await post(sameOrg, { name: 'b' }, 'shared')
    expect(b.statusCode).toBe(201)
    expect(b.headers['idempotent-replayed']).toBeUndefined()
    const c = await post(otherOrg, { name: 'c' }, 'shared')
    expect(c.statusCode).toBe(201)
    expect(c.headers['idempotent-replayed']).toBeUndefined()
  })

  it('scopes keys to an API key as the principal', async () => {
    const c = await caller()
    const { key, prefix, hash } = makeApiKey(c.orgId)
    await sql`INSERT INTO api_keys (org_id, name, prefix, key_hash, permissions) VALUES (${c.orgId}, 'k', ${prefix}, ${hash}, '{}')`.execute(
      t.platform.db.owner,
    )
    const send = () => t.request({ method: 'POST', url: '/api/v1/test-idem/things', apiKey: key, payload: { name: 'k' }, headers: { 'idempotency-key': 'api' } })
    expect((await send()).statusCode).toBe(201)
    expect((await send()).headers['idempotent-replayed']).toBe('true')
    const { rows } = await sql<{ principal: string }>`SELECT principal FROM idempotency_keys WHERE key = 'api'`.execute(t.platform.db.owner)
    expect(rows[0]!.principal).toMatch(/^api_key:[0-9a-f-]{36}$/)
  })

  it('forgets a key after 24 hours', async () => {
    const c = await caller()
    await post(c, { name: 'a' }, 'key-5')
    await sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'key-5'`.execute(t.platform.db.owner)
    const later = await post(c, { name: 'different' }, 'key-5')
    expect(later.statusCode).toBe(201)
    expect(later.headers['idempotent-replayed']).toBeUndefined()
    expect(await executions(c.orgId)).toBe(2)
    expect((await post(c, { name: 'different' }, 'key-5')).headers['idempotent-replayed']).toBe('true')
  })

  it('refuses a malformed key', async () => {
    const c = await caller()
    for (const key of ['x'.repeat(256), 'has space']) {
      const res = await post(c, { name: 'a' }, key)
      expect(res.statusCode).toBe(400)
      expect(res.data.error.details[0].path).toBe('idempotency-key')
    }
    expect(await executions(c.orgId)).toBe(0)
  })

  it('still requires authentication before anything is replayed', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/test-idem/things', payload: { name: 'a' }, headers: { 'idempotency-key': 'key-1' } })
    expect(res.statusCode).toBe(401)
  })

  it('documents the header in the OpenAPI document', async () => {
    const doc = await t.request({ method: 'GET', url: '/api/v1/openapi.json' })
    const params = doc.data.paths['/api/v1/test-idem/things'].post.parameters as { in: string; name: string }[]
    expect(params).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }))
  })

  it('refuses idempotent public routes at registration', async () => {
    const app = (await import('fastify')).default()
    const { registerGuard } = await import('../../src/platform/http/guard.js')
    registerGuard(app, t.platform)
    expect(() => app.post('/api/v1/x', { config: { auth: 'none', idempotent: true } }, async () => ({}))).toThrow(/authenticated and transactional/)
    await app.close()
  })
})

describe('idempotency cleanup', () => {
  it('deletes keys older than 24 hours and keeps the rest', async () => {
    const c = await caller()
    await post(c, { name: 'old' }, 'old-key')
    await post(c, { name: 'new' }, 'new-key')
    await sql`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = 'old-key'`.execute(t.platform.db.owner)
    expect(await deleteExpiredIdempotencyKeys(t.platform.db.owner)).toBeGreaterThanOrEqual(1)
    const { rows } = await sql<{ key: string }>`SELECT key FROM idempotency_keys WHERE org_id = ${c.orgId}`.execute(t.platform.db.owner)
    expect(rows.map((r) => r.key)).toEqual(['new-key'])
  })

  it('keeps exactly one cleanup run scheduled however often nodes start', async () => {
    await scheduleIdempotencyCleanup(t.platform.jobs, t.platform.db.owner)
    await scheduleIdempotencyCleanup(t.platform.jobs, t.platform.db.owner)
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = ${CLEANUP_TASK}`.execute(
      t.platform.db.owner,
    )
    expect(rows[0]!.n).toBe(1)
    expect(t.platform.jobs.taskNames).toContain(CLEANUP_TASK)
  })

  it('runs as a job that deletes expired keys and schedules its next run an hour later', async () => {
    const c = await caller()
    await post(c, { name: 'stale' }, 'stale-key')
    await sql`UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE key = 'stale-key'`.execute(t.platform.db.owner)
    await scheduleIdempotencyCleanup(t.platform.jobs, t.platform.db.owner)
    await makeJobsDue(t)
    await runJobs(t)
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'stale-key'`.execute(t.platform.db.owner)
    expect(left.rows[0]!.n).toBe(0)
    const { rows } = await sql<{ minutes: number }>`
      SELECT (extract(epoch FROM run_at - now()) / 60)::float8 AS minutes FROM graphile_worker.jobs WHERE task_identifier = ${CLEANUP_TASK}`.execute(
      t.platform.db.owner,
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.minutes).toBeGreaterThan(55)
  })
})
