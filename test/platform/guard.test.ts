// The guard: credentials are checked before input, and every request re-checks the session, the
// organization it is bound to and the role held now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { addMember, signUp } from '../support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

describe('guard', () => {
  it('answers 401 to an anonymous caller before validating the body', async () => {
    const res = await t.request({ method: 'PATCH', url: '/api/v1/organizations/current', payload: { country: 'nowhere', bogus: 1 } })
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('unauthenticated')
  })

  it('answers 401 invalid_token to a malformed bearer token', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: 'not-a-jwt' })
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('invalid_token')
  })

  it('stops honouring an access token for the organization the session switched away from', async () => {
    const ada = await signUp(t)
    const bob = await signUp(t)
    const member = await addMember(t, bob, 'agent', { email: `second-${ada.email}` })
    // `member` now holds tokens for bob's organization; switch back to the member's own organization.
    const own = (await t.request({ method: 'GET', url: '/api/v1/organizations', token: member.accessToken })).data.data as { id: string }[]
    const other = own.find((o) => o.id !== bob.organization.id)!
    const switched = await t.request({
      method: 'POST',
      url: '/api/v1/auth/switch-organization',
      token: member.accessToken,
      payload: { organizationId: other.id },
    })
    expect(switched.statusCode).toBe(200)
    const stale = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: member.accessToken })
    expect(stale.statusCode).toBe(401)
    const fresh = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: switched.data.accessToken ?? switched.data.tokens.accessToken })
    expect(fresh.statusCode).toBe(200)
    expect(fresh.data.organization.id).toBe(other.id)
  })

  it('keeps the audit log from managers (admins and owners only)', async () => {
    const owner = await signUp(t)
    const manager = await addMember(t, owner, 'manager')
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-logs', token: manager.accessToken })).statusCode).toBe(403)
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-logs', token: owner.accessToken })).statusCode).toBe(200)
  })

  it('applies a role change on the next request, without new tokens', async () => {
    const owner = await signUp(t)
    const admin = await addMember(t, owner, 'admin')
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-logs', token: admin.accessToken })).statusCode).toBe(200)
    const demoted = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${admin.user.id}`,
      token: owner.accessToken,
      payload: { role: 'viewer' },
    })
    expect(demoted.statusCode).toBe(200)
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-logs', token: admin.accessToken })).statusCode).toBe(403)
  })
})
