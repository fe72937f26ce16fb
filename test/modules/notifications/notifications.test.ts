// Notifications: the `notify` service, the member's inbox routes, isolation between members and
// organizations, and delivery to a connected socket.
import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notify } from '../../../src/modules/notifications/index.js'
import { countUnread, notificationsQuery } from '../../../src/modules/notifications/queries.js'
import { newId } from '../../../src/platform/ids.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { connectSocket, type TestSocket } from '../../support/socket.js'

let t: TestApp
let ada: SignedUp
let agent: SignedUp
let bob: SignedUp
let apiKey: string
const open: TestSocket[] = []

beforeAll(async () => {
  t = await createTestApp({}, { realtime: true })
  ada = await signUp(t)
  agent = await addMember(t, ada, 'agent')
  bob = await signUp(t)
  const key = await t.request({
    method: 'POST',
    url: '/api/v1/api-keys',
    token: ada.accessToken,
    payload: { name: 'integration', permissions: ['organization:read'] },
  })
  expect(key.statusCode).toBe(201)
  apiKey = key.data.key
})
afterAll(async () => {
  for (const s of open) s.close()
  await t.close()
})

/** Notifies as another module would: in a transaction of the recipient's organization. */
function notifyIn(org: SignedUp, userId: string, title: string, extra: { type?: string; body?: string; data?: Record<string, unknown> } = {}) {
  return t.platform.db.tenant({ orgId: org.organization.id, userId: null }, (db) =>
    notify({ db, orgId: org.organization.id }, { userId, type: extra.type ?? 'lead.assigned', title, body: extra.body, data: extra.data }),
  )
}

const list = (who: SignedUp, query = '') => t.request({ method: 'GET', url: `/api/notifications${query}`, token: who.accessToken })

describe('notify', () => {
  it('stores the notification for the member and returns it', async () => {
    const n = await notifyIn(ada, agent.user.id, 'You were assigned a lead', { body: 'Grace Hopper', data: { leadId: 'l-1' } })
    expect(n).toEqual({
      id: expect.any(String),
      type: 'lead.assigned',
      title: 'You were assigned a lead',
      body: 'Grace Hopper',
      data: { leadId: 'l-1' },
      readAt: null,
      createdAt: expect.any(String),
    })
    const res = await list(agent)
    expect(res.data.data).toContainEqual(n)
  })

  it('refuses a recipient who is not a member of the organization, writing nothing', async () => {
    await expect(notifyIn(ada, bob.user.id, 'Not yours')).rejects.toThrow(/foreign key/)
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${bob.user.id}`.execute(t.platform.db.owner)
    expect(rows[0]!.n).toBe(0)
  })

  it('validates the title and type', async () => {
    await expect(notifyIn(ada, ada.user.id, '   ')).rejects.toMatchObject({ code: 'validation_failed', details: [{ path: 'title' }] })
    await expect(notifyIn(ada, ada.user.id, 'x', { type: '' })).rejects.toMatchObject({ details: [{ path: 'type' }] })
  })

  it('writes nothing, and publishes nothing, when the caller’s transaction rolls back', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox_events`.execute(t.platform.db.owner)
    await expect(
      t.platform.db.tenant({ orgId: ada.organization.id, userId: null }, async (db) => {
        await notify({ db, orgId: ada.organization.id }, { userId: ada.user.id, type: 'x', title: 'rolled back' })
        throw new Error('the change failed')
      }),
    ).rejects.toThrow('the change failed')
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox_events`.execute(t.platform.db.owner)
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n)
    expect((await list(ada)).data.data.map((n: { title: string }) => n.title)).not.toContain('rolled back')
  })
})

describe('GET /api/notifications', () => {
  let cara: SignedUp
  beforeAll(async () => {
    cara = await addMember(t, ada, 'viewer')
    for (let i = 1; i <= 3; i++) await notifyIn(ada, cara.user.id, `n${i}`, { type: i === 2 ? 'order.paid' : 'lead.assigned' })
  })

  it('lists the caller’s own notifications newest first, with the unread count', async () => {
    const res = await list(cara)
    expect(res.statusCode).toBe(200)
    expect(res.data.data.map((n: { title: string }) => n.title)).toEqual(['n3', 'n2', 'n1'])
    expect(res.data).toMatchObject({ hasMore: false, nextCursor: null, unreadCount: 3 })
  })

  it('pages with a cursor', async () => {
    const first = await list(cara, '?limit=2')
    expect(first.data.data.map((n: { title: string }) => n.title)).toEqual(['n3', 'n2'])
    expect(first.data.hasMore).toBe(true)
    const second = await list(cara, `?limit=2&cursor=${encodeURIComponent(first.data.nextCursor)}`)
    expect(second.data.data.map((n: { title: string }) => n.title)).toEqual(['n1'])
    expect(second.data.hasMore).toBe(false)
  })

  it('filters unread ones and by type', async () => {
    const n2 = (await list(cara)).data.data[1]
    await t.request({ method: 'PUT', url: `/api/notifications/${n2.id}/read`, token: cara.accessToken })
    const unread = await list(cara, '?unread=true')
    expect(unread.data.data.map((n: { title: string }) => n.title)).toEqual(['n3', 'n1'])
    expect(unread.data.unreadCount).toBe(2)
    const paid = await list(cara, '?filter[type][eq]=order.paid')
    expect(paid.data.data.map((n: { title: string }) => n.title)).toEqual(['n2'])
  })

  it('rejects bad queries with 400 naming the field', async () => {
    for (const [query, path] of [
      ['?limit=0', 'limit'],
      ['?unread=maybe', 'unread'],
      ['?sort=title', 'sort'],
      ['?filter[title][eq]=x', 'filter.title'],
      ['?colour=red', 'colour'],
      ['?cursor=forged', 'cursor'],
    ]) {
      const res = await list(cara, query)
      expect(res.statusCode, query).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
      expect(res.data.error.details[0].path, query).toBe(path)
    }
  })

  it('needs a signed-in user: 401 without credentials, 403 for an API key', async () => {
    expect((await t.request({ method: 'GET', url: '/api/notifications' })).statusCode).toBe(401)
    const byKey = await t.request({ method: 'GET', url: '/api/notifications', apiKey })
    expect(byKey.statusCode).toBe(403)
    expect(byKey.data.error.code).toBe('forbidden')
  })

  it('never shows another member’s or another organization’s notifications', async () => {
    await notifyIn(bob, bob.user.id, 'bob only')
    const mine = (await list(ada)).data.data.map((n: { title: string }) => n.title)
    expect(mine).not.toContain('bob only')
    expect(mine).not.toContain('n1')
    expect((await list(bob)).data.data.map((n: { title: string }) => n.title)).toEqual(['bob only'])
  })

  it('keeps notifications to their user in the database too, not only in the queries', async () => {
    const rows = await t.platform.db.tenant({ orgId: ada.organization.id, userId: agent.user.id }, (db) =>
      db.selectFrom('notifications').select('user_id').execute(),
    )
    expect(rows.length).toBeGreaterThan(0)
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set([agent.user.id]))
    const changed = await t.platform.db.tenant({ orgId: ada.organization.id, userId: agent.user.id }, (db) =>
      db.updateTable('notifications').set({ read_at: new Date() }).where('user_id', '=', cara.user.id).executeTakeFirst(),
    )
    expect(changed.numUpdatedRows).toBe(0n)
  })
})

describe('PUT /api/notifications/:id/read', () => {
  it('marks it read once; marking again returns it unchanged', async () => {
    const n = await notifyIn(ada, ada.user.id, 'read me')
    const res = await t.request({ method: 'PUT', url: `/api/notifications/${n.id}/read`, token: ada.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ ...n, readAt: expect.any(String) })
    const again = await t.request({ method: 'PUT', url: `/api/notifications/${n.id}/read`, token: ada.accessToken })
    expect(again.data.readAt).toBe(res.data.readAt)
  })

  it('answers 404 for another member’s or another organization’s notification, changing nothing', async () => {
    const theirs = await notifyIn(ada, agent.user.id, 'for the agent')
    const foreign = await notifyIn(bob, bob.user.id, 'for bob')
    for (const id of [theirs.id, foreign.id, '0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11']) {
      const res = await t.request({ method: 'PUT', url: `/api/notifications/${id}/read`, token: ada.accessToken })
      expect(res.statusCode).toBe(404)
      expect(res.data.error.code).toBe('not_found')
    }
    const { rows } = await sql<{ read_at: Date | null }>`SELECT read_at FROM notifications WHERE id IN (${theirs.id}, ${foreign.id})`.execute(t.platform.db.owner)
    expect(rows.every((r) => r.read_at === null)).toBe(true)
  })

  it('rejects a malformed id (400), no credentials (401) and an API key (403)', async () => {
    const bad = await t.request({ method: 'PUT', url: '/api/notifications/42/read', token: ada.accessToken })
    expect(bad.statusCode).toBe(400)
    expect(bad.data.error.details[0].path).toBe('id')
    const n = await notifyIn(ada, ada.user.id, 'guarded')
    expect((await t.request({ method: 'PUT', url: `/api/notifications/${n.id}/read` })).statusCode).toBe(401)
    expect((await t.request({ method: 'PUT', url: `/api/notifications/${n.id}/read`, apiKey })).statusCode).toBe(403)
  })
})

describe('PUT /api/notifications/read-all', () => {
  it('marks every unread notification of the caller read, and no one else’s', async () => {
    const dan = await addMember(t, ada, 'manager')
    await notifyIn(ada, dan.user.id, 'one')
    await notifyIn(ada, dan.user.id, 'two')
    const agentUnread = (await list(agent)).data.unreadCount
    const res = await t.request({ method: 'PUT', url: '/api/notifications/read-all', token: dan.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ updated: 2, readAt: expect.any(String) })
    expect((await list(dan)).data.unreadCount).toBe(0)
    expect((await list(agent)).data.unreadCount).toBe(agentUnread)
    const again = await t.request({ method: 'PUT', url: '/api/notifications/read-all', token: dan.accessToken })
    expect(again.data.updated).toBe(0)
  })

  it('takes no input: an empty object passes, any field is a 400', async () => {
    expect((await t.request({ method: 'PUT', url: '/api/notifications/read-all', token: ada.accessToken, payload: {} })).statusCode).toBe(200)
    const bad = await t.request({ method: 'PUT', url: '/api/notifications/read-all', token: ada.accessToken, payload: { before: 'now' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.data.error.details[0]).toMatchObject({ path: 'before', message: 'is not a known field' })
  })

  it('answers 401 without credentials and 403 for an API key', async () => {
    expect((await t.request({ method: 'PUT', url: '/api/notifications/read-all' })).statusCode).toBe(401)
    expect((await t.request({ method: 'PUT', url: '/api/notifications/read-all', apiKey })).statusCode).toBe(403)
  })
})

describe('realtime delivery', () => {
  it('delivers notification.created to the user’s socket with the object GET returns', async () => {
    const eve = await addMember(t, ada, 'agent')
    const socket = await connectSocket(t.url!, { token: eve.accessToken })
    open.push(socket)
    const watcher = await connectSocket(t.url!, { token: ada.accessToken })
    open.push(watcher)

    const created = await notifyIn(ada, eve.user.id, 'New order #1001', { type: 'order.created', data: { orderId: 'o-1001' } })
    const event = await socket.waitFor('notification.created')
    const listed = (await list(eve)).data.data[0]
    expect(listed).toEqual(created)
    expect(event).toEqual({ id: expect.stringMatching(/^\d+$/), type: 'notification.created', data: listed, createdAt: expect.any(String) })

    // Marking it read tells the user's other devices.
    await t.request({ method: 'PUT', url: `/api/notifications/${created.id}/read`, token: eve.accessToken })
    expect((await socket.waitFor('notification.read')).data).toMatchObject({ id: created.id, readAt: expect.any(String) })
    await t.request({ method: 'PUT', url: '/api/notifications/read-all', token: eve.accessToken })

    // Someone else in the organization heard none of it.
    await t.platform.realtime.stream.settled()
    expect(watcher.events('notification.created', 'notification.read', 'notification.read_all')).toEqual([])
  })
})

describe('query plans', () => {
  it('serves the inbox and the unread count from the per-user indexes, not a table scan', async () => {
    // 40 members with 150 notifications each, so that PostgreSQL prefers an index when one fits.
    const org = ada.organization.id
    const users = Array.from({ length: 40 }, () => newId())
    await sql`INSERT INTO users (id, email, password_hash, first_name, last_name)
      SELECT u, u::text || '@plan.test', 'x', 'P', 'Q' FROM unnest(${users}::uuid[]) u`.execute(t.platform.db.owner)
    await sql`INSERT INTO memberships (org_id, user_id, role) SELECT ${org}, u, 'agent' FROM unnest(${users}::uuid[]) u`.execute(t.platform.db.owner)
    await sql`INSERT INTO notifications (org_id, user_id, type, title, created_at, read_at)
      SELECT ${org}, u, 'x', 't', now() - g * interval '1 minute', CASE WHEN g % 3 = 0 THEN now() END
      FROM unnest(${users}::uuid[]) u, generate_series(1, 150) g`.execute(t.platform.db.owner)
    await sql`ANALYZE notifications`.execute(t.platform.db.owner)

    const who = { orgId: org, userId: users[0]! }
    const plans = await t.platform.db.tenant(who, async (db) => {
      const explain = async (q: { compile(): CompiledQuery }) => {
        const c = q.compile()
        const r = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]))
        return r.rows.map((row) => row['QUERY PLAN']).join('\n')
      }
      const page = notificationsQuery(db, org, who.userId, false).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(51)
      const unread = notificationsQuery(db, org, who.userId, true).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(51)
      return [await explain(page), await explain(unread)]
    })
    for (const plan of plans) {
      expect(plan).not.toMatch(/Seq Scan on notifications/)
      expect(plan).toMatch(/Index (Only )?Scan.* on notifications/)
    }
    expect(await t.platform.db.tenant(who, (db) => countUnread(db, org, who.userId))).toBe(100)
  })
})
