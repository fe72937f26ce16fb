// API keys: created (shown once, stored hashed), listed, revoked, and accepted as X-API-Key with only
// their own permissions.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/platform/auth/tokens.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { lastAudit, paths } from './helpers.js'

let t: TestApp
let owner: SignedUp
let outsider: SignedUp
beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t)
  outsider = await signUp(t)
})
afterAll(() => t.close())

const create = (token: string | undefined, payload: object) =>
  t.request({ method: 'POST', url: '/api/v1/api-keys', payload, ...(token ? { token } : {}) })
const withKey = (apiKey: string, method: 'GET' | 'PATCH', url: string, payload?: object) =>
  t.request({ method, url, apiKey, ...(payload ? { payload } : {}) })

describe('POST /api/v1/api-keys', () => {
  it('creates a key shown once, stored only as a hash, audited', async () => {
    const res = await create(owner.accessToken, { name: 'Zapier', permissions: ['organization:read', 'members:read'] })
    expect(res.statusCode).toBe(201)
    expect(res.data).toMatchObject({
      name: 'Zapier',
      permissions: ['members:read', 'organization:read'],
      createdBy: owner.user.id,
      expiresAt: null,
      revokedAt: null,
      status: 'active',
    })
    expect(res.data.key).toMatch(/^lum_[0-9a-f]{32}_/)
    expect(res.data.prefix.startsWith(res.data.key.slice(0, 12))).toBe(true)
    const row = await t.platform.db.owner.selectFrom('api_keys').selectAll().where('id', '=', res.data.id).executeTakeFirstOrThrow()
    expect(row.key_hash).toBe(sha256(res.data.key))
    expect(JSON.stringify(row)).not.toContain(res.data.key)
    const audit = await lastAudit(t, owner.organization.id, 'api_key')
    expect(audit).toMatchObject({ entity_id: res.data.id, action: 'created', changes: { name: 'Zapier' } })
    expect(JSON.stringify(audit)).not.toContain(res.data.key)
  })

  it('works as X-API-Key on a real route, within its permissions only', async () => {
    const { key } = (await create(owner.accessToken, { name: 'Reader', permissions: ['organization:read'] })).data
    const read = await withKey(key, 'GET', '/api/organizations/current')
    expect(read.statusCode).toBe(200)
    expect(read.data.id).toBe(owner.organization.id)
    const write = await withKey(key, 'PATCH', '/api/organizations/current', { city: 'Nope' })
    expect(write.statusCode).toBe(403)
    expect(write.data.error.code).toBe('forbidden')
  })

  it('lets a key with the permission change the profile, audited as the key', async () => {
    const created = (await create(owner.accessToken, { name: 'Writer', permissions: ['organization:update'] })).data
    const res = await withKey(created.key, 'PATCH', '/api/organizations/current', { city: 'Lisbon' })
    expect(res.statusCode).toBe(200)
    const audit = await lastAudit(t, owner.organization.id, 'organization')
    expect(audit).toMatchObject({ actor_type: 'api_key', actor_id: created.id })
  })

  it('accepts a future expiry, and an expired key gets 401', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    const created = (await create(owner.accessToken, { name: 'Temp', permissions: ['organization:read'], expiresAt })).data
    expect(created.expiresAt).toBe(expiresAt)
    expect((await withKey(created.key, 'GET', '/api/organizations/current')).statusCode).toBe(200)
    await sql`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ${created.id}`.execute(t.platform.db.owner)
    expect((await withKey(created.key, 'GET', '/api/organizations/current')).statusCode).toBe(401)
    const listed = await t.request({ method: 'GET', url: `/api/v1/api-keys/${created.id}`, token: owner.accessToken })
    expect(listed.data.status).toBe('expired')
  })

  it('refuses a permission its creator does not hold (403)', async () => {
    const { key } = (await create(owner.accessToken, { name: 'Key maker', permissions: ['api-keys:manage'] })).data
    const res = await t.request({ method: 'POST', url: '/api/v1/api-keys', apiKey: key, payload: { name: 'Escalate', permissions: ['members:manage'] } })
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('permission_not_held')
    const ok = await t.request({ method: 'POST', url: '/api/v1/api-keys', apiKey: key, payload: { name: 'Same', permissions: ['api-keys:manage'] } })
    expect(ok.statusCode).toBe(201)
    expect(ok.data.createdBy).toBeNull()
  })

  it.each([
    [{ permissions: ['organization:read'] }, 'name'],
    [{ name: '  ', permissions: ['organization:read'] }, 'name'],
    [{ name: 'k', permissions: [] }, 'permissions'],
    [{ name: 'k', permissions: ['everything'] }, 'permissions.0'],
    [{ name: 'k', permissions: ['members:read', 'members:read'] }, 'permissions'],
    [{ name: 'k', permissions: ['members:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
    [{ name: 'k', permissions: ['members:read'], expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt'],
    [{ name: 'k', permissions: ['members:read'], scope: 'all' }, 'scope'],
  ])('refuses %j naming %s', async (payload, path) => {
    const before = await t.platform.db.owner.selectFrom('api_keys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const res = await create(owner.accessToken, payload)
    expect(res.statusCode).toBe(400)
    expect(paths(res)).toContain(path)
    const after = await t.platform.db.owner.selectFrom('api_keys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('answers 401 without credentials and 403 to roles without api-keys:manage', async () => {
    expect((await create(undefined, { name: 'k', permissions: ['members:read'] })).statusCode).toBe(401)
    for (const role of ['manager', 'agent', 'viewer'] as const) {
      const member = await addMember(t, owner, role)
      expect((await create(member.accessToken, { name: 'k', permissions: ['members:read'] })).statusCode).toBe(403)
      expect((await t.request({ method: 'GET', url: '/api/v1/api-keys', token: member.accessToken })).statusCode).toBe(403)
    }
  })
})

describe('GET and DELETE /api/v1/api-keys', () => {
  it('lists the keys of the organization without secrets, filterable', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/api-keys?sort=name', token: owner.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data.data.length).toBeGreaterThan(3)
    expect(res.data.data.every((k: Record<string, unknown>) => !('key' in k) && !('keyHash' in k))).toBe(true)
    const names = res.data.data.map((k: { name: string }) => k.name)
    expect(names).toEqual([...names].sort())
    const theirs = await t.request({ method: 'GET', url: '/api/v1/api-keys', token: outsider.accessToken })
    expect(theirs.data.data).toEqual([])
    expect((await t.request({ method: 'GET', url: '/api/v1/api-keys?filter[key][eq]=x', token: owner.accessToken })).statusCode).toBe(400)
    expect((await t.request({ method: 'GET', url: '/api/v1/api-keys' })).statusCode).toBe(401)
  })

  it('revokes a key, which then gets 401; revoking again is harmless', async () => {
    const created = (await create(owner.accessToken, { name: 'Short-lived', permissions: ['organization:read'] })).data
    expect((await withKey(created.key, 'GET', '/api/organizations/current')).statusCode).toBe(200)
    const res = await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, token: owner.accessToken })
    expect(res.statusCode).toBe(204)
    const denied = await withKey(created.key, 'GET', '/api/organizations/current')
    expect(denied.statusCode).toBe(401)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, token: owner.accessToken })).statusCode).toBe(204)
    const audits = await t.platform.db.owner
      .selectFrom('audit_logs')
      .select('action')
      .where('entity', '=', 'api_key')
      .where('entity_id', '=', created.id)
      .execute()
    expect(audits.map((a) => a.action).sort()).toEqual(['created', 'revoked'])
    const active = await t.request({ method: 'GET', url: '/api/v1/api-keys?filter[revokedAt][isNull]=true', token: owner.accessToken })
    expect(active.data.data.map((k: { id: string }) => k.id)).not.toContain(created.id)
    const revoked = await t.request({ method: 'GET', url: '/api/v1/api-keys?filter[revokedAt][isNull]=false', token: owner.accessToken })
    expect(revoked.data.data.map((k: { id: string }) => k.id)).toContain(created.id)
  })

  it('answers 404 for another organization’s key, which keeps working', async () => {
    const theirs = (await create(outsider.accessToken, { name: 'Theirs', permissions: ['organization:read'] })).data
    expect((await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${theirs.id}`, token: owner.accessToken })).statusCode).toBe(404)
    expect((await t.request({ method: 'GET', url: `/api/v1/api-keys/${theirs.id}`, token: owner.accessToken })).statusCode).toBe(404)
    expect((await withKey(theirs.key, 'GET', '/api/organizations/current')).data.id).toBe(outsider.organization.id)
  })

  it('answers 400 for a bad id, 401 and 403', async () => {
    expect((await t.request({ method: 'DELETE', url: '/api/v1/api-keys/xyz', token: owner.accessToken })).statusCode).toBe(400)
    const some = (await create(owner.accessToken, { name: 'Target', permissions: ['organization:read'] })).data
    expect((await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${some.id}` })).statusCode).toBe(401)
    const agent = await addMember(t, owner, 'agent')
    expect((await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${some.id}`, token: agent.accessToken })).statusCode).toBe(403)
    expect((await withKey(some.key, 'GET', '/api/organizations/current')).statusCode).toBe(200)
  })
})
