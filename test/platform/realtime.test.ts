// Socket.IO over a real listening app: handshake authentication, rooms and tenant isolation, the
// event format, per-socket limits and session re-checks. Replay has its own file.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishIn, rooms } from '../../src/platform/events/outbox.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { addMember, signUp, type SignedUp } from '../support/factories.js'
import { connectError, connectSocket, type TestSocket } from '../support/socket.js'

let t: TestApp
let url: string
let ada: SignedUp
let bob: SignedUp
const open: TestSocket[] = []

beforeAll(async () => {
  t = await createTestApp({ SOCKET_RATE_LIMIT_MAX: '20', SOCKET_SESSION_CHECK_INTERVAL: '1' }, { realtime: true })
  url = t.url!
  ada = await signUp(t)
  bob = await signUp(t)
})
afterAll(async () => {
  for (const s of open) s.close()
  await t.close()
})

async function connect(who: { accessToken: string }, extra: { lastEventId?: string } = {}): Promise<TestSocket> {
  const s = await connectSocket(url, { token: who.accessToken, ...extra })
  open.push(s)
  return s
}

/** Writes an event to the outbox as a service would, in its own transaction. */
async function raise(orgId: string, to: string[], type: string, payload: unknown): Promise<void> {
  await t.platform.db.tenant({ orgId, userId: null }, (db) => publishIn(db, orgId, { type, aggregate: 'test', aggregateId: '1', rooms: to, payload }))
}

describe('socket handshake', () => {
  it('refuses a connection without a token, with the error envelope as data', async () => {
    const err = await connectError(url)
    expect(err.data).toEqual({ error: { code: 'unauthenticated', message: expect.any(String), requestId: expect.any(String) } })
  })

  it('refuses a malformed or forged token', async () => {
    expect((await connectError(url, { token: 'not-a-jwt' })).data.error.code).toBe('invalid_token')
    const forged = await t.platform.tokens.signAccess({ userId: ada.user.id, orgId: bob.organization.id, sessionId: ada.user.id })
    expect((await connectError(url, { token: forged.token })).data.error.code).toBe('invalid_token')
  })

  it('refuses the token of a session that was logged out', async () => {
    const carol = await signUp(t)
    const out = await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: carol.accessToken })
    expect(out.statusCode).toBe(204)
    const err = await connectError(url, { token: carol.accessToken })
    expect(err.data.error).toMatchObject({ code: 'invalid_token', message: 'Session has ended or access was revoked' })
  })

  it('refuses a member who was removed from the organization of the token', async () => {
    const dave = await addMember(t, ada, 'agent')
    await t.platform.db.owner.deleteFrom('memberships').where('user_id', '=', dave.user.id).where('org_id', '=', ada.organization.id).execute()
    expect((await connectError(url, { token: dave.accessToken })).data.error.code).toBe('invalid_token')
  })

  it('accepts the access token in an Authorization header too', async () => {
    const s = await connectSocket(url, { headers: { authorization: `Bearer ${ada.accessToken}` } })
    open.push(s)
    expect(s.socket.connected).toBe(true)
  })
})

describe('rooms and delivery', () => {
  it('delivers org and user events as { id, type, data, createdAt } under the type name', async () => {
    const s = await connect(ada)
    await raise(ada.organization.id, [rooms.org(ada.organization.id)], 'thing.created', { name: 'org-wide' })
    await raise(ada.organization.id, [rooms.user(ada.user.id)], 'notification.created', { title: 'just Ada' })
    const org = await s.waitFor('thing.created')
    const mine = await s.waitFor('notification.created')
    expect(org).toEqual({ id: expect.stringMatching(/^\d+$/), type: 'thing.created', data: { name: 'org-wide' }, createdAt: expect.any(String) })
    expect(new Date(org.createdAt).toISOString()).toBe(org.createdAt)
    expect(mine.data).toEqual({ title: 'just Ada' })
    expect(Number(mine.id)).toBeGreaterThan(Number(org.id))
  })

  it('never delivers one organization’s events to a user of another', async () => {
    const a = await connect(ada)
    const b = await connect(bob)
    // Addressed to A's rooms, and (a bug elsewhere) to B's user room from A's organization.
    await raise(ada.organization.id, [rooms.org(ada.organization.id)], 'secret.a', { n: 1 })
    await raise(ada.organization.id, [rooms.user(bob.user.id)], 'secret.a', { n: 2 })
    await raise(bob.organization.id, [rooms.org(bob.organization.id)], 'public.b', { n: 3 })
    await b.waitFor('public.b')
    await a.waitFor('secret.a')
    await t.platform.realtime.stream.settled()
    expect(b.events('secret.a')).toEqual([])
    expect(a.events('public.b')).toEqual([])
  })

  it('keeps a user’s connections in two organizations apart, although they share the user room', async () => {
    const erin = await addMember(t, bob, 'viewer')
    // Erin's own organization from sign-up, and Bob's organization through the membership. A session is
    // bound to one organization, so the second connection comes from a second sign-in, switched home.
    const second = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: erin.email, password: erin.password } })
    expect(second.statusCode).toBe(200)
    const home = await t.request({
      method: 'POST',
      url: '/api/v1/auth/switch-organization',
      token: second.data.tokens.accessToken,
      payload: { organizationId: (await t.platform.db.owner.selectFrom('memberships').select('org_id').where('user_id', '=', erin.user.id).where('role', '=', 'owner').executeTakeFirstOrThrow()).org_id },
    })
    expect(home.statusCode).toBe(200)
    const inBob = await connect(erin)
    const inHome = await connect({ accessToken: home.data.tokens.accessToken })
    await raise(bob.organization.id, [rooms.user(erin.user.id)], 'notification.created', { org: 'bob' })
    await raise(home.data.organization.id, [rooms.user(erin.user.id)], 'notification.created', { org: 'home' })
    await inBob.waitFor('notification.created')
    await inHome.waitFor('notification.created')
    await t.platform.realtime.stream.settled()
    expect(inBob.events('notification.created').map((e) => e.payload.data)).toEqual([{ org: 'bob' }])
    expect(inHome.events('notification.created').map((e) => e.payload.data)).toEqual([{ org: 'home' }])
  })

  it('broadcasts ephemeral events to rooms without storing them', async () => {
    const s = await connect(ada)
    t.platform.realtime.emit([rooms.org(ada.organization.id)], 'typing.start', { userId: ada.user.id })
    expect(await s.waitFor('typing.start')).toEqual({ userId: ada.user.id })
  })

  it('counts connected sockets for /metrics', async () => {
    const before = t.platform.realtime.connectedCount()
    const s = await connect(bob)
    expect(t.platform.realtime.connectedCount()).toBe(before + 1)
    const metrics = await t.request({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(new RegExp(`luminous_socket_connections ${before + 1}`))
    s.close()
    await expect.poll(() => t.platform.realtime.connectedCount()).toBe(before)
  })
})

describe('client events', () => {
  it('answers an unknown event with not_found and a bad sync with validation_failed', async () => {
    const s = await connect(ada)
    expect((await s.request('nope', {})).error.code).toBe('not_found')
    const bad = await s.request('sync', { lastEventId: 'abc' })
    expect(bad.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'lastEventId', message: expect.any(String) }] })
    expect((await s.request('sync', {})).error.code).toBe('validation_failed')
  })

  it('rate-limits events a client emits, per connection', async () => {
    const s = await connect(ada)
    const other = await connect(ada)
    const answers = await Promise.all(Array.from({ length: 25 }, () => s.request('sync', { lastEventId: '999999999' })))
    const limited = answers.filter((a) => a.error?.code === 'rate_limited')
    expect(limited.length).toBe(5)
    expect(limited[0].error.message).toMatch(/retry in \d+ s/)
    // Another connection of the same user has its own allowance.
    expect((await other.request('sync', { lastEventId: '999999999' })).error.code).toBe('replay_unavailable')
  })
})

describe('session re-check', () => {
  it('disconnects a connected socket once its session is revoked', async () => {
    const frank = await signUp(t)
    const s = await connect(frank)
    const disconnected = new Promise<string>((resolve) => s.socket.once('disconnect', resolve))
    await sql`UPDATE sessions SET revoked_at = now() WHERE user_id = ${frank.user.id}`.execute(t.platform.db.owner)
    expect(await disconnected).toBe('io server disconnect')
    expect(s.events('session.ended')[0]?.payload.error.code).toBe('invalid_token')
  })
})
