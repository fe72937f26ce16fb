import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp } from '../../support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

// Each test that fails on purpose comes from its own address, so per-IP counting stays per test.
let ipCounter = 10
const freshIp = () => `198.51.100.${ipCounter++}`

const login = (payload: Record<string, unknown>, remoteAddress = '203.0.113.1') =>
  t.request({ method: 'POST', url: '/api/auth/login', payload, remoteAddress, headers: { 'user-agent': 'vitest/login' } })

describe('POST /api/auth/login', () => {
  it('returns tokens, the user and the organization', async () => {
    const ada = await signUp(t)
    const res = await login({ email: ada.email, password: ada.password })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({
      user: { id: ada.user.id, email: ada.email },
      organization: ada.organization,
      role: 'owner',
      tokens: { tokenType: 'Bearer', expiresIn: 900 },
    })
    expect(res.data.accessToken).toBe(res.data.tokens.accessToken)
    const me = await t.request({ method: 'GET', url: '/api/auth/me', token: res.data.accessToken })
    expect(me.statusCode).toBe(200)
    const session = await t.platform.db.owner
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', ada.user.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow()
    expect(session).toMatchObject({ user_agent: 'vitest/login', ip: '203.0.113.1', revoked_at: null })
  })

  it('accepts the e-mail in any letter case', async () => {
    const ada = await signUp(t)
    const res = await login({ email: ada.email.toUpperCase(), password: ada.password })
    expect(res.statusCode).toBe(200)
  })

  it('lands in the organization used last, else the oldest membership', async () => {
    const owner = await signUp(t)
    const member = await addMember(t, owner, 'agent')
    // addMember switched the member into owner's organization: that is now their last one.
    const again = await login({ email: member.email, password: member.password })
    expect(again.data.organization.id).toBe(owner.organization.id)
    expect(again.data.role).toBe('agent')
    // Once the membership ends, the log-in falls back to the member's own (oldest) organization.
    await t.platform.db.owner.deleteFrom('memberships').where('org_id', '=', owner.organization.id).where('user_id', '=', member.user.id).execute()
    const fallback = await login({ email: member.email, password: member.password })
    expect(fallback.data.organization.id).not.toBe(owner.organization.id)
    expect(fallback.data.role).toBe('owner')
  })

  it('answers the same 401 for a wrong password and for an unknown e-mail', async () => {
    const ada = await signUp(t)
    const ip = freshIp()
    const wrong = await login({ email: ada.email, password: 'not-the-password' }, ip)
    const unknown = await login({ email: `nobody-${Date.now()}@example.com`, password: 'not-the-password' }, ip)
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.data.error.code).toBe('invalid_credentials')
    expect({ ...unknown.data.error, requestId: null }).toEqual({ ...wrong.data.error, requestId: null })
  })

  it('answers 400 for a malformed body', async () => {
    const res = await login({ email: 'ada@example.com' })
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details).toContainEqual({ path: 'password', message: 'is required' })
    const extra = await login({ email: 'ada@example.com', password: 'x', remember: true })
    expect(extra.data.error.details).toContainEqual({ path: 'remember', message: 'is not a known field' })
  })

  it('delays, then locks an account after repeated failures, with Retry-After, even for the right password', async () => {
    const ada = await signUp(t)
    const ip = freshIp()
    for (let i = 0; i < 3; i++) {
      const res = await login({ email: ada.email, password: `wrong-${i}` }, ip)
      expect(res.statusCode).toBe(401)
    }
    // The third failure imposes a short delay on the account, whatever the address.
    const locked = await login({ email: ada.email, password: ada.password }, freshIp())
    expect(locked.statusCode).toBe(429)
    expect(locked.data.error.code).toBe('rate_limited')
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('locks an unknown e-mail the same way (a lockout does not reveal that an account exists)', async () => {
    const ip = freshIp()
    const email = `ghost-${Date.now()}@example.com`
    for (let i = 0; i < 3; i++) await login({ email, password: `wrong-${i}` }, ip)
    const res = await login({ email, password: 'wrong-again' }, freshIp())
    expect(res.statusCode).toBe(429)
  })

  it('clears the account count on a successful log-in', async () => {
    const ada = await signUp(t)
    await login({ email: ada.email, password: 'wrong-1' }, freshIp())
    await login({ email: ada.email, password: 'wrong-2' }, freshIp())
    expect((await login({ email: ada.email, password: ada.password })).statusCode).toBe(200)
    const row = await t.platform.db.owner.selectFrom('login_throttles').selectAll().where('key', '=', `account:${ada.email}`).executeTakeFirst()
    expect(row).toBeUndefined()
  })

  it('answers 422 no_organization for a correct log-in of a user who belongs nowhere', async () => {
    const ada = await signUp(t)
    await t.platform.db.owner.deleteFrom('memberships').where('user_id', '=', ada.user.id).execute()
    const res = await login({ email: ada.email, password: ada.password })
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('no_organization')
  })
})
