// GET /api/v1/audit-logs: entries written by real changes, filters, pagination, permissions, tenancy.
import { CompiledQuery, sql } from 'kysely'
import { auditLogsQuery } from '../../../src/modules/audit/queries.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'

let t: TestApp
let ada: SignedUp
let bob: SignedUp
let updateRequestId: string

beforeAll(async () => {
  t = await createTestApp()
  ada = await signUp(t, { firstName: 'Ada' })
  bob = await signUp(t)
  const patched = await t.request({ method: 'PATCH', url: '/api/users/me', token: ada.accessToken, payload: { firstName: 'Augusta' } })
  expect(patched.statusCode).toBe(200)
  updateRequestId = String(patched.headers['x-request-id'])
  // Older history, written as the audit helper would, at known times.
  const org = ada.organization.id
  await sql`INSERT INTO audit_logs (org_id, actor_type, actor_id, entity, entity_id, action, changes, created_at) VALUES
    (${org}, 'system', NULL, 'order', 'o-1', 'created', '{"total": 1999}', '2026-01-10T10:00:00Z'),
    (${org}, 'user', ${ada.user.id}, 'order', 'o-1', 'cancelled', NULL, '2026-01-11T10:00:00Z'),
    (${org}, 'user', ${ada.user.id}, 'order', 'o-2', 'created', NULL, '2026-01-12T10:00:00Z'),
    (${org}, 'api_key', NULL, 'contact', 'c-1', 'created', NULL, '2026-01-13T10:00:00Z')`.execute(t.platform.db.owner)
})
afterAll(async () => {
  await t.close()
})

const get = (who: { accessToken: string } | null, query = '') =>
  t.request({ method: 'GET', url: `/api/audit-logs${query}`, ...(who ? { token: who.accessToken } : {}) })
const actions = (res: { data: { data: { entity: string; action: string }[] } }) => res.data.data.map((e) => `${e.entity}.${e.action}`)

describe('GET /api/v1/audit-logs', () => {
  it('lists the organization’s changes newest first, with actor, changes, request id and IP', async () => {
    const res = await get(ada)
    expect(res.statusCode).toBe(200)
    expect(actions(res)).toEqual(['user.updated', 'user.registered', 'contact.created', 'order.created', 'order.cancelled', 'order.created'])
    const update = res.data.data[0]
    expect(update).toEqual({
      id: expect.any(String),
      actor: { type: 'user', id: ada.user.id },
      entity: 'user',
      entityId: ada.user.id,
      action: 'updated',
      changes: expect.any(Object),
      requestId: updateRequestId,
      ip: '127.0.0.1',
      createdAt: expect.any(String),
    })
    expect(Object.values(update.changes)).toContainEqual({ from: 'Ada', to: 'Augusta' })
    expect(res.data).toMatchObject({ hasMore: false, nextCursor: null })
  })

  it('pages with a cursor and counts on request', async () => {
    const first = await get(ada, '?limit=4&count=true')
    expect(first.data.data).toHaveLength(4)
    expect(first.data.total).toBe(6)
    const second = await get(ada, `?limit=4&cursor=${encodeURIComponent(first.data.nextCursor)}`)
    expect(actions(second)).toEqual(['order.cancelled', 'order.created'])
    expect(second.data.hasMore).toBe(false)
  })

  it('filters by entity, entity id, actor, action and dates', async () => {
    expect(actions(await get(ada, '?entity=order'))).toEqual(['order.created', 'order.cancelled', 'order.created'])
    expect(actions(await get(ada, '?entity=order&entityId=o-1'))).toEqual(['order.cancelled', 'order.created'])
    expect(actions(await get(ada, `?actorId=${ada.user.id}&entity=order`))).toEqual(['order.created', 'order.cancelled'])
    expect(actions(await get(ada, '?action=created&entity=order'))).toEqual(['order.created', 'order.created'])
    expect(actions(await get(ada, '?from=2026-01-11T00:00:00Z&to=2026-01-13T00:00:00Z'))).toEqual(['order.created', 'order.cancelled'])
    expect(actions(await get(ada, '?filter[action][in]=cancelled,registered'))).toEqual(['user.registered', 'order.cancelled'])
    expect(actions(await get(ada, '?filter[actorType][eq]=api_key'))).toEqual(['contact.created'])
  })

  it('rejects bad filters with 400 naming the field', async () => {
    for (const [query, path] of [
      ['?from=yesterday', 'from'],
      ['?actorId=42', 'actorId'],
      ['?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['?filter[ip][eq]=1.2.3.4', 'filter.ip'],
      ['?sort=action', 'sort'],
      ['?limit=500', 'limit'],
    ]) {
      const res = await get(ada, query)
      expect(res.statusCode, query).toBe(400)
      expect(res.data.error.details[0].path, query).toBe(path)
    }
  })

  it('is for roles with audit:read: admins yes, agents no; 401 without credentials', async () => {
    const admin = await addMember(t, ada, 'admin')
    expect((await get(admin)).statusCode).toBe(200)
    const agent = await addMember(t, ada, 'agent')
    const denied = await get(agent)
    expect(denied.statusCode).toBe(403)
    expect(denied.data.error.code).toBe('forbidden')
    expect((await get(null)).statusCode).toBe(401)
  })

  it('accepts an API key that carries audit:read', async () => {
    const key = await t.request({ method: 'POST', url: '/api/api-keys', token: ada.accessToken, payload: { name: 'siem', permissions: ['audit:read'] } })
    expect(key.statusCode).toBe(201)
    const res = await t.request({ method: 'GET', url: '/api/audit-logs?entity=order', apiKey: key.data.key })
    expect(res.statusCode).toBe(200)
    expect(res.data.data).toHaveLength(3)
  })

  it('shows only the caller’s organization', async () => {
    const res = await get(bob)
    expect(res.data.data.every((e: { entityId: string }) => e.entityId !== ada.user.id)).toBe(true)
    expect(actions(res)).not.toContain('order.created')
  })
})

describe('GET /api/v1/audit-logs/:id', () => {
  it('returns one entry; another organization’s is a 404; a malformed id a 400', async () => {
    const entry = (await get(ada, '?entity=contact')).data.data[0]
    const res = await t.request({ method: 'GET', url: `/api/audit-logs/${entry.id}`, token: ada.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual(entry)
    const foreign = await t.request({ method: 'GET', url: `/api/audit-logs/${entry.id}`, token: bob.accessToken })
    expect(foreign.statusCode).toBe(404)
    expect(foreign.data.error.code).toBe('not_found')
    expect((await t.request({ method: 'GET', url: '/api/audit-logs/nope', token: ada.accessToken })).statusCode).toBe(400)
    expect((await t.request({ method: 'GET', url: `/api/audit-logs/${entry.id}` })).statusCode).toBe(401)
    const agent = await addMember(t, ada, 'viewer')
    expect((await t.request({ method: 'GET', url: `/api/audit-logs/${entry.id}`, token: agent.accessToken })).statusCode).toBe(403)
  })
})

describe('query plans', () => {
  it('pages the newest entries of an organization through its index, not a table scan', async () => {
    const other = await signUp(t)
    await sql`INSERT INTO audit_logs (org_id, actor_type, entity, entity_id, action, created_at)
      SELECT o, 'system', 'thing', g::text, 'created', now() - g * interval '1 second'
      FROM unnest(${[ada.organization.id, bob.organization.id, other.organization.id]}::uuid[]) o, generate_series(1, 4000) g`.execute(t.platform.db.owner)
    await sql`ANALYZE audit_logs`.execute(t.platform.db.owner)
    const plan = await t.platform.db.tenant({ orgId: ada.organization.id, userId: ada.user.id }, async (db) => {
      const c = auditLogsQuery(db, ada.organization.id, {}).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(51).compile()
      const r = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]))
      return r.rows.map((row) => row['QUERY PLAN']).join('\n')
    })
    expect(plan).not.toMatch(/Seq Scan on audit_logs/)
    expect(plan).toMatch(/Index Scan.* on audit_logs/)
  })
})
