// The business profile: GET/PUT/PATCH /api/organizations/current, GET /api/organizations, and slugs
// that survive concurrent registrations.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../src/platform/ids.js'
import { createOrganization } from '../../../src/modules/organizations/index.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'

let t: TestApp
let owner: SignedUp
let other: SignedUp
beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t, { businessName: 'Acme Coffee' })
  other = await signUp(t)
})
afterAll(() => t.close())

const get = (token?: string, url = '/api/organizations/current') => t.request({ method: 'GET', url, ...(token ? { token } : {}) })
const update = (method: 'PUT' | 'PATCH', token: string | undefined, payload: unknown) =>
  t.request({ method, url: '/api/organizations/current', payload: payload as object, ...(token ? { token } : {}) })

describe('GET /api/organizations/current', () => {
  it('returns the profile with defaults', async () => {
    const res = await get(owner.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({
      id: owner.organization.id,
      name: 'Acme Coffee',
      slug: owner.organization.slug,
      description: null,
      logo: null,
      address: null,
      city: null,
      state: null,
      zipCode: null,
      country: null,
      currency: 'USD',
      timezone: 'UTC',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    expect(owner.organization.slug).toMatch(/^acme-coffee/)
  })

  it('is readable by every role, including viewers', async () => {
    const viewer = await addMember(t, owner, 'viewer')
    const res = await get(viewer.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.id).toBe(owner.organization.id)
  })

  it('answers 401 without credentials', async () => {
    const res = await get()
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('unauthenticated')
  })

  it('answers 403 to an API key without organization:read', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/api-keys', token: owner.accessToken, payload: { name: 'k', permissions: ['members:read'] } })
    const denied = await t.request({ method: 'GET', url: '/api/organizations/current', apiKey: res.data.key })
    expect(denied.statusCode).toBe(403)
  })

  it("shows each caller only their own organization", async () => {
    const res = await get(other.accessToken)
    expect(res.data.id).toBe(other.organization.id)
  })
})

describe('PUT and PATCH /api/organizations/current', () => {
  it('updates the profile, normalizing codes, and audits the change with before and after', async () => {
    const res = await update('PUT', owner.accessToken, {
      description: '  Single-origin coffee  ',
      address: '12 Harbour Street',
      city: 'Portland',
      state: 'OR',
      zipCode: '97201',
      country: 'us',
      currency: 'eur',
      timezone: 'America/Los_Angeles',
    })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({
      name: 'Acme Coffee',
      description: 'Single-origin coffee',
      address: '12 Harbour Street',
      city: 'Portland',
      state: 'OR',
      zipCode: '97201',
      country: 'US',
      currency: 'EUR',
      timezone: 'America/Los_Angeles',
    })
    const audit = await t.platform.db.owner
      .selectFrom('audit_logs')
      .selectAll()
      .where('org_id', '=', owner.organization.id)
      .where('entity', '=', 'organization')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ entity_id: owner.organization.id, action: 'updated', actor_type: 'user', actor_id: owner.user.id })
    expect(audit.changes).toMatchObject({
      country: { from: null, to: 'US' },
      currency: { from: 'USD', to: 'EUR' },
      timezone: { from: 'UTC', to: 'America/Los_Angeles' },
    })
    expect(audit.changes).not.toHaveProperty('name')
  })

  it('PATCH keeps omitted fields and clears fields sent as null or blank', async () => {
    const res = await update('PATCH', owner.accessToken, { name: 'Acme Roasters', description: null, city: '   ' })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ name: 'Acme Roasters', description: null, city: null, country: 'US', currency: 'EUR' })
    const again = await get(owner.accessToken)
    expect(again.data.name).toBe('Acme Roasters')
  })

  it('publishes organization.updated to the organization room', async () => {
    await update('PATCH', owner.accessToken, { state: 'WA' })
    const event = await t.platform.db.owner
      .selectFrom('outbox_events')
      .selectAll()
      .where('org_id', '=', owner.organization.id)
      .where('type', '=', 'organization.updated')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(event.rooms).toEqual([`org:${owner.organization.id}`])
    expect(event.payload).toMatchObject({ id: owner.organization.id, state: 'WA' })
  })

  it('writes nothing when nothing changes', async () => {
    const count = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_logs WHERE org_id = ${owner.organization.id} AND entity = 'organization'`.execute(t.platform.db.owner)).rows[0]!.n
    const before = await count()
    const res = await update('PATCH', owner.accessToken, { state: 'WA' })
    expect(res.statusCode).toBe(200)
    expect(await count()).toBe(before)
  })

  it.each([
    [{ country: 'XX' }, 'country'],
    [{ country: 'USA' }, 'country'],
    [{ currency: 'ABC' }, 'currency'],
    [{ currency: 'XTS' }, 'currency'],
    [{ timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    [{ timezone: '+01:00' }, 'timezone'],
    [{ name: '   ' }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ slug: 'mine' }, 'slug'],
    [{ currency: null }, 'currency'],
  ])('refuses %j naming %s, changing nothing', async (payload, path) => {
    const before = await get(owner.accessToken)
    const res = await update('PATCH', owner.accessToken, payload)
    expect(res.statusCode).toBe(400)
    expect(res.data.error.code).toBe('validation_failed')
    expect(res.data.error.details.map((d: { path: string }) => d.path)).toContain(path)
    const after = await get(owner.accessToken)
    expect(after.data).toEqual(before.data)
  })

  it('names every bad field at once', async () => {
    const res = await update('PATCH', owner.accessToken, { country: 'ZZ', currency: 'QQQ', timezone: 'Nowhere' })
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['country', 'currency', 'timezone'])
  })

  it('refuses an empty body', async () => {
    const res = await update('PATCH', owner.accessToken, {})
    expect(res.statusCode).toBe(400)
  })

  it('answers 401 without credentials', async () => {
    expect((await update('PATCH', undefined, { city: 'X' })).statusCode).toBe(401)
  })

  it.each(['manager', 'agent', 'viewer'] as const)('answers 403 to a %s', async (role) => {
    const member = await addMember(t, owner, role)
    const res = await update('PUT', member.accessToken, { city: 'Elsewhere' })
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('forbidden')
  })

  it('lets an admin update', async () => {
    const admin = await addMember(t, owner, 'admin')
    const res = await update('PATCH', admin.accessToken, { city: 'Seattle' })
    expect(res.statusCode).toBe(200)
    expect(res.data.city).toBe('Seattle')
  })

  it("changes only the caller's organization", async () => {
    await update('PATCH', other.accessToken, { name: 'Other Co' })
    expect((await get(owner.accessToken)).data.name).toBe('Acme Roasters')
  })
})

describe('GET /api/organizations', () => {
  it('lists the organizations the user belongs to with the role in each', async () => {
    const both = await addMember(t, owner, 'agent')
    const res = await get(both.accessToken, '/api/organizations')
    expect(res.statusCode).toBe(200)
    expect(res.data.hasMore).toBe(false)
    const byId = Object.fromEntries(res.data.data.map((o: { id: string }) => [o.id, o]))
    expect(Object.keys(byId)).toHaveLength(2)
    expect(byId[owner.organization.id]).toMatchObject({ role: 'agent', current: true, name: 'Acme Roasters' })
    expect(Object.values(byId).find((o) => (o as { id: string }).id !== owner.organization.id)).toMatchObject({ role: 'owner', current: false })
  })

  it('sorts and filters', async () => {
    const both = await addMember(t, owner, 'viewer', { businessName: 'Zed Books' })
    const byName = await get(both.accessToken, '/api/organizations?sort=-name')
    expect(byName.data.data.map((o: { name: string }) => o.name)).toEqual(['Zed Books', 'Acme Roasters'])
    const viewers = await get(both.accessToken, '/api/organizations?filter[role][eq]=viewer')
    expect(viewers.data.data.map((o: { id: string }) => o.id)).toEqual([owner.organization.id])
    const bad = await get(both.accessToken, '/api/organizations?sort=slug')
    expect(bad.statusCode).toBe(400)
  })

  it('never lists organizations the user does not belong to', async () => {
    const res = await get(other.accessToken, '/api/organizations')
    expect(res.data.data.map((o: { id: string }) => o.id)).toEqual([other.organization.id])
  })

  it('answers 401 without credentials', async () => {
    expect((await get(undefined, '/api/organizations')).statusCode).toBe(401)
  })

  it('is for users, not API keys (403)', async () => {
    const key = await t.request({
      method: 'POST',
      url: '/api/v1/api-keys',
      token: owner.accessToken,
      payload: { name: 'k', permissions: ['organization:read'] },
    })
    const res = await t.request({ method: 'GET', url: '/api/organizations', apiKey: key.data.key })
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('user_required')
  })
})

describe('createOrganization', () => {
  it('takes the next free slug when a concurrent registration holds the same one', async () => {
    // Transaction 1 inserts "race-co" and keeps it uncommitted; transaction 2 sees the slug free, tries
    // it, waits on transaction 1, then must move on to another slug instead of failing.
    const first = newId()
    const second = newId()
    const userA = (await signUp(t)).user.id
    const userB = (await signUp(t)).user.id
    const tx1 = await t.platform.db.begin({ orgId: first, userId: userA })
    await createOrganization(tx1.db, { id: first, name: 'Race Co', ownerUserId: userA })
    const racing = t.platform.db.tenant({ orgId: second, userId: userB }, (db) =>
      createOrganization(db, { id: second, name: 'Race Co', ownerUserId: userB }),
    )
    // Commit only once transaction 2 is blocked on transaction 1's uncommitted slug.
    for (let i = 0; ; i++) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`.execute(t.platform.db.owner)
      if (rows[0]!.n > 0) break
      if (i > 100) throw new Error('transaction 2 never waited for transaction 1')
      await new Promise((r) => setTimeout(r, 20))
    }
    await tx1.commit()
    const org = await racing
    expect(org.slug).toBe('race-co-2')
    const slugs = await t.platform.db.owner.selectFrom('organizations').select('slug').where('slug', 'like', 'race-co%').execute()
    expect(slugs.map((s) => s.slug).sort()).toEqual(['race-co', 'race-co-2'])
  })

  it('derives readable slugs and numbers repeats', async () => {
    const a = await signUp(t, { businessName: 'Café Déjà Vu!' })
    const b = await signUp(t, { businessName: 'Cafe Deja Vu' })
    expect(a.organization.slug).toBe('cafe-deja-vu')
    expect(b.organization.slug).toBe('cafe-deja-vu-2')
  })
})
