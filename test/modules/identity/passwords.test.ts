import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { signUp } from '../../support/factories.js'
import { mailsTo, tokenMailedTo } from './mail.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://app.example.com' })
})
afterAll(() => t.close())

const post = (url: string, payload?: Record<string, unknown>, token?: string) =>
  t.request({ method: 'POST', url, ...(payload ? { payload } : {}), ...(token ? { token } : {}) })
const login = (email: string, password: string) => post('/api/auth/login', { email, password })
const me = (token: string) => t.request({ method: 'GET', url: '/api/auth/me', token })

describe('POST /api/auth/forgot-password and /api/auth/reset-password', () => {
  it('mails a single-use link; the reset sets the password and ends every session', async () => {
    const ada = await signUp(t)
    const res = await post('/api/auth/forgot-password', { email: ada.email.toUpperCase() })
    expect(res.statusCode).toBe(202)
    const [mail] = await mailsTo(t, ada.email)
    expect(mail?.subject).toBe('Reset your Luminous password')
    expect(mail?.text_body).toContain('https://app.example.com/reset-password?token=')
    const token = await tokenMailedTo(t, ada.email, '/reset-password')
    // Stored hashed, expiring in an hour.
    const stored = await t.platform.db.owner.selectFrom('user_tokens').selectAll().where('user_id', '=', ada.user.id).where('purpose', '=', 'password_reset').executeTakeFirstOrThrow()
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(stored.token_hash).not.toBe(token)
    expect(stored.expires_at.getTime() - stored.created_at.getTime()).toBe(60 * 60 * 1000)

    const newPassword = 'a-brand-new-passphrase-42'
    const reset = await post('/api/auth/reset-password', { token, newPassword, confirmPassword: newPassword })
    expect(reset.statusCode).toBe(200)
    expect((await me(ada.accessToken)).statusCode).toBe(401)
    expect((await login(ada.email, ada.password)).statusCode).toBe(401)
    expect((await login(ada.email, newPassword)).statusCode).toBe(200)
    // Single use.
    const again = await post('/api/auth/reset-password', { token, newPassword: 'yet-another-passphrase-7' })
    expect(again.statusCode).toBe(400)
    expect(again.data.error.details).toEqual([{ path: 'token', message: 'is invalid, expired or already used' }])
    // The user was told.
    const mails = await mailsTo(t, ada.email)
    expect(mails[0]?.subject).toBe('Your Luminous password was changed')
  })

  it('answers 202 alike for an unknown e-mail, and sends nothing', async () => {
    const email = `nobody-${Date.now()}@example.com`
    const res = await post('/api/auth/forgot-password', { email })
    expect(res.statusCode).toBe(202)
    const known = await signUp(t)
    const knownRes = await post('/api/auth/forgot-password', { email: known.email })
    expect(knownRes.data).toEqual(res.data)
    expect(await mailsTo(t, email)).toHaveLength(0)
  })

  it('supersedes an older link with a newer one, and sends at most one a minute', async () => {
    const ada = await signUp(t)
    await post('/api/auth/forgot-password', { email: ada.email })
    const first = await tokenMailedTo(t, ada.email, '/reset-password')
    await post('/api/auth/forgot-password', { email: ada.email })
    expect((await mailsTo(t, ada.email)).filter((m) => m.subject.startsWith('Reset'))).toHaveLength(1)
    // A minute later a new link replaces the first.
    await t.platform.db.owner.updateTable('user_tokens').set({ created_at: new Date(Date.now() - 120_000) }).where('user_id', '=', ada.user.id).execute()
    await post('/api/auth/forgot-password', { email: ada.email })
    const second = await tokenMailedTo(t, ada.email, '/reset-password')
    expect(second).not.toBe(first)
    expect((await post('/api/auth/reset-password', { token: first, newPassword: 'a-brand-new-passphrase-42' })).statusCode).toBe(400)
    expect((await post('/api/auth/reset-password', { token: second, newPassword: 'a-brand-new-passphrase-42' })).statusCode).toBe(200)
  })

  it('refuses an expired token', async () => {
    const ada = await signUp(t)
    await post('/api/auth/forgot-password', { email: ada.email })
    const token = await tokenMailedTo(t, ada.email, '/reset-password')
    await t.platform.db.owner.updateTable('user_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', ada.user.id).execute()
    const res = await post('/api/auth/reset-password', { token, newPassword: 'a-brand-new-passphrase-42' })
    expect(res.statusCode).toBe(400)
  })

  it('applies the password policy (naming the rule) and keeps the token for a better password', async () => {
    const ada = await signUp(t)
    await post('/api/auth/forgot-password', { email: ada.email })
    const token = await tokenMailedTo(t, ada.email, '/reset-password')
    const weak = await post('/api/auth/reset-password', { token, newPassword: 'password12' })
    expect(weak.statusCode).toBe(400)
    expect(weak.data.error.details[0]).toMatchObject({ path: 'newPassword', message: expect.stringMatching(/commonly used/) })
    const mismatch = await post('/api/auth/reset-password', { token, newPassword: 'a-brand-new-passphrase-42', confirmPassword: 'different-passphrase-42' })
    expect(mismatch.data.error.details).toEqual([{ path: 'confirmPassword', message: 'must match newPassword' }])
    expect((await post('/api/auth/reset-password', { token, newPassword: 'a-brand-new-passphrase-42' })).statusCode).toBe(200)
  })

  it('answers 400 for malformed bodies', async () => {
    expect((await post('/api/auth/forgot-password', { email: 'nope' })).statusCode).toBe(400)
    expect((await post('/api/auth/forgot-password', {})).statusCode).toBe(400)
    const res = await post('/api/auth/reset-password', { token: 'x' })
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details).toContainEqual({ path: 'newPassword', message: 'is required' })
  })
})

describe('POST /api/auth/change-password', () => {
  it('changes the password with the current one and signs out the other sessions only', async () => {
    const ada = await signUp(t)
    const other = await login(ada.email, ada.password)
    const newPassword = 'changed-passphrase-2026'
    const res = await post('/api/auth/change-password', { currentPassword: ada.password, newPassword, confirmPassword: newPassword }, ada.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.revokedSessions).toBe(1)
    expect((await me(ada.accessToken)).statusCode).toBe(200)
    expect((await me(other.data.accessToken)).statusCode).toBe(401)
    expect((await login(ada.email, newPassword)).statusCode).toBe(200)
    const audit = await t.platform.db.owner.selectFrom('audit_logs').select('action').where('entity_id', '=', ada.user.id).execute()
    expect(audit.map((a) => a.action)).toContain('password_changed')
  })

  it('answers 400 on currentPassword when it is wrong, and on newPassword for a weak or unchanged one', async () => {
    const ada = await signUp(t)
    const wrong = await post('/api/auth/change-password', { currentPassword: 'not-it-at-all', newPassword: 'changed-passphrase-2026' }, ada.accessToken)
    expect(wrong.statusCode).toBe(400)
    expect(wrong.data.error.details).toEqual([{ path: 'currentPassword', message: 'is incorrect' }])
    const weak = await post('/api/auth/change-password', { currentPassword: ada.password, newPassword: 'short' }, ada.accessToken)
    expect(weak.data.error.details[0]).toMatchObject({ path: 'newPassword', message: expect.stringMatching(/at least 10/) })
    const same = await post('/api/auth/change-password', { currentPassword: ada.password, newPassword: ada.password }, ada.accessToken)
    expect(same.data.error.details[0]).toMatchObject({ path: 'newPassword', message: 'must differ from the current password' })
    const missing = await post('/api/auth/change-password', { newPassword: 'changed-passphrase-2026' }, ada.accessToken)
    expect(missing.data.error.details).toContainEqual({ path: 'currentPassword', message: 'is required' })
    expect((await login(ada.email, ada.password)).statusCode).toBe(200)
  })

  it('answers 401 without a token', async () => {
    const res = await post('/api/auth/change-password', { currentPassword: 'a', newPassword: 'changed-passphrase-2026' })
    expect(res.statusCode).toBe(401)
  })
})

describe('e-mail verification', () => {
  it('mails a link at registration; the token verifies the address once', async () => {
    const ada = await signUp(t)
    expect(ada.user.emailVerified).toBe(false)
    const token = await tokenMailedTo(t, ada.email, '/verify-email')
    const res = await post('/api/auth/verify-email', { token })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ email: ada.email, emailVerified: true })
    expect((await me(ada.accessToken)).data.user.emailVerified).toBe(true)
    const again = await post('/api/auth/verify-email', { token })
    expect(again.statusCode).toBe(400)
    expect(again.data.error.details[0].path).toBe('token')
  })

  it('does not verify an address the account no longer uses', async () => {
    const ada = await signUp(t)
    const token = await tokenMailedTo(t, ada.email, '/verify-email')
    await t.platform.db.owner.updateTable('users').set({ email: `changed-${ada.email}` }).where('id', '=', ada.user.id).execute()
    const res = await post('/api/auth/verify-email', { token })
    expect(res.statusCode).toBe(400)
    expect(res.data.error.details[0].message).toMatch(/no longer uses/)
  })

  it('resends a new link (the old one stops working), at most once a minute, and not once verified', async () => {
    const ada = await signUp(t)
    const first = await tokenMailedTo(t, ada.email, '/verify-email')
    const tooSoon = await post('/api/auth/resend-verification', undefined, ada.accessToken)
    expect(tooSoon.statusCode).toBe(429)
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0)
    await t.platform.db.owner.updateTable('user_tokens').set({ created_at: new Date(Date.now() - 120_000) }).where('user_id', '=', ada.user.id).execute()
    const res = await post('/api/auth/resend-verification', undefined, ada.accessToken)
    expect(res.statusCode).toBe(202)
    const second = await tokenMailedTo(t, ada.email, '/verify-email')
    expect(second).not.toBe(first)
    expect((await post('/api/auth/verify-email', { token: first })).statusCode).toBe(400)
    expect((await post('/api/auth/verify-email', { token: second })).statusCode).toBe(200)
    const done = await post('/api/auth/resend-verification', undefined, ada.accessToken)
    expect(done.statusCode).toBe(422)
    expect(done.data.error.code).toBe('already_verified')
  })

  it('answers 401 for resend without a token and 400 for a missing token on verify', async () => {
    expect((await post('/api/auth/resend-verification')).statusCode).toBe(401)
    expect((await post('/api/auth/verify-email', {})).statusCode).toBe(400)
  })
})
