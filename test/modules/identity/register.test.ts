import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { signUp } from '../../support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const valid = (over: Record<string, unknown> = {}) => ({
  firstName: 'Grace',
  lastName: 'Hopper',
  businessName: 'Café Ünïcode & Sons',
  email: `grace-${Math.random().toString(36).slice(2)}@Example.com`,
  phoneNumber: '+1 (415) 555-2671',
  password: 'compiler-nanoseconds-1906',
  confirmPassword: 'compiler-nanoseconds-1906',
  ...over,
})

const register = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/api/auth/register', payload })

describe('POST /api/auth/register', () => {
  it('creates the user, the organization with a slug, the owner membership and a session', async () => {
    const body = valid({ phoneNumber: '+1 415 555 2671' })
    const res = await register(body)
    expect(res.statusCode).toBe(201)
    const { user, organization, role, tokens } = res.data
    expect(user).toMatchObject({
      email: body.email.toLowerCase(),
      firstName: 'Grace',
      lastName: 'Hopper',
      phoneNumber: '+14155552671',
      emailVerified: false,
      locale: 'en',
      timezone: 'UTC',
      settings: {},
      avatarUrl: null,
    })
    expect(user).not.toHaveProperty('passwordHash')
    expect(user.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/)
    expect(organization).toMatchObject({ name: 'Café Ünïcode & Sons', slug: 'cafe-unicode-sons' })
    expect(role).toBe('owner')
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
    expect(res.data.accessToken).toBe(tokens.accessToken)
    expect(res.data.refreshToken).toBe(tokens.refreshToken)

    const me = await t.request({ method: 'GET', url: '/api/auth/me', token: tokens.accessToken })
    expect(me.statusCode).toBe(200)
    expect(me.data).toMatchObject({ user: { id: user.id }, organization: { id: organization.id }, role: 'owner' })

    const [membership] = await t.platform.db.owner.selectFrom('memberships').selectAll().where('user_id', '=', user.id).execute()
    expect(membership).toMatchObject({ org_id: organization.id, role: 'owner' })
    const stored = await t.platform.db.owner.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    const audit = await t.platform.db.owner.selectFrom('audit_logs').selectAll().where('entity_id', '=', user.id).execute()
    expect(audit.map((a) => a.action)).toContain('registered')
  })

  it('normalises a national phone number with its country code and stores E.164', async () => {
    const res = await register(valid({ phoneNumber: '+44 20 7946 0958' }))
    expect(res.statusCode).toBe(201)
    expect(res.data.user.phoneNumber).toBe('+442079460958')
  })

  it('gives two businesses of the same name distinct slugs', async () => {
    const a = await register(valid({ businessName: 'Twin Peaks' }))
    const b = await register(valid({ businessName: 'Twin Peaks' }))
    expect(a.data.organization.slug).toBe('twin-peaks')
    expect(b.data.organization.slug).toBe('twin-peaks-2')
  })

  it('answers 409 email_taken for an e-mail already registered, in any case, and creates nothing', async () => {
    const first = await signUp(t)
    const before = await t.platform.db.owner.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const res = await register(valid({ email: first.email.toUpperCase() }))
    expect(res.statusCode).toBe(409)
    expect(res.data.error).toMatchObject({ code: 'email_taken', details: [{ path: 'email' }] })
    const after = await t.platform.db.owner.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    expect(after.n).toBe(before.n)
  })

  it('answers 400 on confirmPassword when the passwords differ', async () => {
    const res = await register(valid({ confirmPassword: 'something-else-entirely' }))
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details).toEqual([{ path: 'confirmPassword', message: 'must match password' }])
  })

  it.each([
    ['too short', 'short-pw', /at least 10 characters/],
    ['too long', 'x'.repeat(129), /at most 128 characters/],
    ['common', 'Password123', /most commonly used/],
    ['containing the e-mail', 'grace.h-secret-2024', /e-mail/],
  ])('answers 400 on password naming the rule when it is %s', async (_name, password, rule) => {
    const res = await register(valid({ email: 'grace.h@example.com', password, confirmPassword: password }))
    expect(res.statusCode).toBe(400)
    const detail = res.data.error.details.find((d: { path: string }) => d.path === 'password')
    expect(detail.message).toMatch(rule)
  })

  it('answers 400 for an invalid phone number with a clear message', async () => {
    const res = await register(valid({ phoneNumber: '12345' }))
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details).toEqual([{ path: 'phoneNumber', message: expect.stringMatching(/international format|not a/) }])
    const bad = await register(valid({ phoneNumber: '+1 555 000 0000' }))
    expect(bad.data.error.details[0]).toMatchObject({ path: 'phoneNumber', message: expect.stringMatching(/not a valid phone number/) })
  })

  it('answers 400 for missing fields, blank names, a bad e-mail and unknown fields', async () => {
    const { email: _omit, ...noEmail } = valid()
    const missing = await register(noEmail)
    expect(missing.statusCode).toBe(400)
    expect(missing.data.error.details).toContainEqual({ path: 'email', message: 'is required' })

    const blank = await register(valid({ firstName: '   ' }))
    expect(blank.data.error.details).toContainEqual({ path: 'firstName', message: 'must not be blank' })

    const badEmail = await register(valid({ email: 'not-an-email' }))
    expect(badEmail.statusCode).toBe(400)
    expect(badEmail.data.error.details[0].path).toBe('email')

    const unknown = await register(valid({ role: 'admin' }))
    expect(unknown.statusCode).toBe(400)
    expect(unknown.data.error.details).toContainEqual({ path: 'role', message: 'is not a known field' })
  })
})
