import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp } from '../../support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const refresh = (refreshToken: unknown) => t.request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })
const me = (token: string) => t.request({ method: 'GET', url: '/api/auth/me', token })
const login = (email: string, password: string, userAgent = 'vitest') =>
  t.request({ method: 'POST', url: '/api/auth/login', payload: { email, password }, headers: { 'user-agent': userAgent } })

describe('POST /api/auth/refresh', () => {
  it('rotates: a new pair that works, and the session slides', async () => {
    const ada = await signUp(t)
    const before = await t.platform.db.owner.selectFrom('sessions').selectAll().where('user_id', '=', ada.user.id).executeTakeFirstOrThrow()
    const res = await refresh(ada.refreshToken)
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
    expect(res.data.refreshToken).not.toBe(ada.refreshToken)
    expect((await me(res.data.accessToken)).statusCode).toBe(200)
    const after = await t.platform.db.owner.selectFrom('sessions').selectAll().where('id', '=', before.id).executeTakeFirstOrThrow()
    expect(after.expires_at.getTime()).toBeGreaterThanOrEqual(before.expires_at.getTime())
    expect(after.last_used_at.getTime()).toBeGreaterThanOrEqual(before.last_used_at.getTime())
    // Only the hash is stored.
    const stored = await t.platform.db.owner.selectFrom('refresh_tokens').select('token_hash').where('session_id', '=', before.id).execute()
    expect(stored.map((r) => r.token_hash)).not.toContain(res.data.refreshToken)
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true)
  })

  it('revokes the whole family when a used refresh token comes back, and answers 401', async () => {
    const ada = await signUp(t)
    const first = await refresh(ada.refreshToken)
    const reuse = await refresh(ada.refreshToken)
    expect(reuse.statusCode).toBe(401)
    expect(reuse.data.error.code).toBe('invalid_token')
    // The legitimate newest token and its access token are dead too.
    expect((await refresh(first.data.refreshToken)).statusCode).toBe(401)
    expect((await me(first.data.accessToken)).statusCode).toBe(401)
    const session = await t.platform.db.owner.selectFrom('sessions').selectAll().where('user_id', '=', ada.user.id).executeTakeFirstOrThrow()
    expect(session.revoked_reason).toBe('refresh_token_reused')
  })

  it('answers 401 for an unknown token and 400 for a missing one', async () => {
    expect((await refresh('no-such-token')).statusCode).toBe(401)
    const missing = await t.request({ method: 'POST', url: '/api/auth/refresh', payload: {} })
    expect(missing.statusCode).toBe(400)
    expect(missing.data.error.details).toContainEqual({ path: 'refreshToken', message: 'is required' })
  })

  it('refuses the refresh of a session whose membership ended', async () => {
    const owner = await signUp(t)
    const agent = await addMember(t, owner, 'agent')
    await t.platform.db.owner.deleteFrom('memberships').where('org_id', '=', owner.organization.id).where('user_id', '=', agent.user.id).execute()
    expect((await refresh(agent.refreshToken)).statusCode).toBe(401)
  })
})

describe('POST /api/auth/logout', () => {
  it('ends this session only', async () => {
    const ada = await signUp(t)
    const other = await login(ada.email, ada.password)
    const res = await t.request({ method: 'POST', url: '/api/auth/logout', token: ada.accessToken })
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect((await me(ada.accessToken)).statusCode).toBe(401)
    expect((await refresh(ada.refreshToken)).statusCode).toBe(401)
    expect((await me(other.data.accessToken)).statusCode).toBe(200)
  })

  it('ends every session with { all: true }', async () => {
    const ada = await signUp(t)
    const other = await login(ada.email, ada.password)
    const res = await t.request({ method: 'POST', url: '/api/auth/logout', token: ada.accessToken, payload: { all: true } })
    expect(res.statusCode).toBe(204)
    expect((await me(ada.accessToken)).statusCode).toBe(401)
    expect((await me(other.data.accessToken)).statusCode).toBe(401)
  })

  it('answers 401 without a token and 400 for unknown fields', async () => {
    expect((await t.request({ method: 'POST', url: '/api/auth/logout' })).statusCode).toBe(401)
    const ada = await signUp(t)
    const bad = await t.request({ method: 'POST', url: '/api/auth/logout', token: ada.accessToken, payload: { everywhere: true } })
    expect(bad.statusCode).toBe(400)
  })
})

describe('GET /api/auth/me', () => {
  it('returns the user, the organization, the role and its permissions', async () => {
    const owner = await signUp(t)
    const viewer = await addMember(t, owner, 'viewer')
    const res = await me(viewer.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ user: { id: viewer.user.id, email: viewer.email }, organization: owner.organization, role: 'viewer' })
    expect(res.data.permissions).toContain('organization:read')
    expect(res.data.permissions).not.toContain('members:manage')
    expect(res.data.user).not.toHaveProperty('passwordHash')
  })

  it('answers 401 without a token, with a malformed one, and after the membership is removed', async () => {
    expect((await t.request({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401)
    expect((await me('not-a-jwt')).data.error.code).toBe('invalid_token')
    const owner = await signUp(t)
    const agent = await addMember(t, owner, 'agent')
    await t.platform.db.owner.deleteFrom('memberships').where('org_id', '=', owner.organization.id).where('user_id', '=', agent.user.id).execute()
    expect((await me(agent.accessToken)).statusCode).toBe(401)
  })
})

describe('sessions', () => {
  it('lists the live sessions with device, IP and which one is current', async () => {
    const ada = await signUp(t)
    await login(ada.email, ada.password, 'Firefox/140')
    const phone = await login(ada.email, ada.password, 'iPhone Safari')
    const res = await t.request({ method: 'GET', url: '/api/auth/sessions', token: phone.data.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data.hasMore).toBe(false)
    expect(res.data.data).toHaveLength(3)
    expect(res.data.data[0]).toMatchObject({ device: 'iPhone Safari', ip: '127.0.0.1', current: true, organizationId: ada.organization.id })
    expect(res.data.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1)
    expect(res.data.data[1]).toMatchObject({ device: 'Firefox/140', current: false })
  })

  it('pages with limit and cursor', async () => {
    const ada = await signUp(t)
    await login(ada.email, ada.password)
    await login(ada.email, ada.password)
    const first = await t.request({ method: 'GET', url: '/api/auth/sessions?limit=2', token: ada.accessToken })
    expect(first.data.data).toHaveLength(2)
    expect(first.data.hasMore).toBe(true)
    const second = await t.request({ method: 'GET', url: `/api/auth/sessions?limit=2&cursor=${first.data.nextCursor}`, token: ada.accessToken })
    expect(second.data.data).toHaveLength(1)
    expect(second.data.hasMore).toBe(false)
    expect(second.data.nextCursor).toBeNull()
    const bad = await t.request({ method: 'GET', url: '/api/auth/sessions?cursor=zzz', token: ada.accessToken })
    expect(bad.statusCode).toBe(400)
    const badLimit = await t.request({ method: 'GET', url: '/api/auth/sessions?limit=0', token: ada.accessToken })
    expect(badLimit.statusCode).toBe(400)
  })

  it('revokes one of your own sessions', async () => {
    const ada = await signUp(t)
    const laptop = await login(ada.email, ada.password)
    const list = await t.request({ method: 'GET', url: '/api/auth/sessions', token: ada.accessToken })
    const target = list.data.data.find((s: { current: boolean }) => !s.current)
    const res = await t.request({ method: 'DELETE', url: `/api/auth/sessions/${target.id}`, token: ada.accessToken })
    expect(res.statusCode).toBe(204)
    expect((await me(laptop.data.accessToken)).statusCode).toBe(401)
    expect((await me(ada.accessToken)).statusCode).toBe(200)
    const again = await t.request({ method: 'DELETE', url: `/api/auth/sessions/${target.id}`, token: ada.accessToken })
    expect(again.statusCode).toBe(404)
  })

  it("answers 404 for another user's session, even in the same organization, and 400 for a bad id", async () => {
    const owner = await signUp(t)
    const agent = await addMember(t, owner, 'agent')
    const stranger = await signUp(t)
    const sessions = await t.request({ method: 'GET', url: '/api/auth/sessions', token: agent.accessToken })
    const agentSession = sessions.data.data[0].id
    for (const caller of [owner, stranger]) {
      const res = await t.request({ method: 'DELETE', url: `/api/auth/sessions/${agentSession}`, token: caller.accessToken })
      expect(res.statusCode).toBe(404)
    }
    expect((await me(agent.accessToken)).statusCode).toBe(200)
    const bad = await t.request({ method: 'DELETE', url: '/api/auth/sessions/not-a-uuid', token: owner.accessToken })
    expect(bad.statusCode).toBe(400)
  })

  it('answers 401 without a token', async () => {
    expect((await t.request({ method: 'GET', url: '/api/auth/sessions' })).statusCode).toBe(401)
    expect((await t.request({ method: 'DELETE', url: '/api/auth/sessions/0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11' })).statusCode).toBe(401)
  })
})

describe('POST /api/auth/switch-organization', () => {
  it('returns tokens for another organization of the user and remembers it for the next log-in', async () => {
    const owner = await signUp(t)
    const member = await signUp(t)
    await t.platform.db.owner.insertInto('memberships').values({ org_id: owner.organization.id, user_id: member.user.id, role: 'manager' }).execute()
    const res = await t.request({
      method: 'POST',
      url: '/api/auth/switch-organization',
      token: member.accessToken,
      payload: { organizationId: owner.organization.id },
    })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ organization: owner.organization, role: 'manager', user: { id: member.user.id } })
    const now = await me(res.data.accessToken)
    expect(now.data).toMatchObject({ organization: { id: owner.organization.id }, role: 'manager' })
    // The session moved: its previous refresh token is retired, the new one works.
    expect((await refresh(res.data.refreshToken)).statusCode).toBe(200)
    const next = await login(member.email, member.password)
    expect(next.data.organization.id).toBe(owner.organization.id)
  })

  it('answers 404 for an organization the user does not belong to, 400 for a bad id, 401 without a token', async () => {
    const ada = await signUp(t)
    const other = await signUp(t)
    const res = await t.request({ method: 'POST', url: '/api/auth/switch-organization', token: ada.accessToken, payload: { organizationId: other.organization.id } })
    expect(res.statusCode).toBe(404)
    const bad = await t.request({ method: 'POST', url: '/api/auth/switch-organization', token: ada.accessToken, payload: { organizationId: 'acme' } })
    expect(bad.statusCode).toBe(400)
    const anon = await t.request({ method: 'POST', url: '/api/auth/switch-organization', payload: { organizationId: other.organization.id } })
    expect(anon.statusCode).toBe(401)
  })
})

describe('API keys on user-only routes', () => {
  it('answers 403 user_required: an API key acts for an organization, not a person', async () => {
    const owner = await signUp(t)
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/api-keys',
      token: owner.accessToken,
      payload: { name: 'Integration', permissions: ['organization:read'] },
    })
    expect(created.statusCode).toBe(201)
    const apiKey: string = created.data.key
    for (const [method, url] of [
      ['GET', '/api/auth/me'],
      ['GET', '/api/auth/sessions'],
      ['POST', '/api/auth/logout'],
      ['POST', '/api/auth/resend-verification'],
    ] as const) {
      const res = await t.request({ method, url, apiKey })
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.data.error.code).toBe('user_required')
    }
  })
})
