// TOTP two-factor over HTTP: enrolment, confirmation, log-in with codes, replay and drift, recovery codes,
// disabling, and the pause after repeated wrong codes.
import { generate } from 'otplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeApiKey } from '../../../src/platform/auth/tokens.js'
import { decryptSecret } from '../../../src/platform/crypto.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { signUp, type SignedUp } from '../../support/factories.js'
import { mailsTo } from './mail.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const now = () => Math.floor(Date.now() / 1000)
/** The code an authenticator shows `offset` seconds from now. */
const totp = (secret: string, offset = 0) => generate({ secret, epoch: now() + offset })

async function enroll(user: SignedUp): Promise<string> {
  const res = await t.request({ method: 'POST', url: '/api/auth/2fa/enroll', token: user.accessToken })
  expect(res.statusCode, res.body).toBe(200)
  return res.data.secret as string
}

/** Enrols and confirms; returns the secret and the recovery codes. Uses the current step. */
async function enable(user: SignedUp): Promise<{ secret: string; recoveryCodes: string[] }> {
  const secret = await enroll(user)
  const res = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: user.accessToken, payload: { code: await totp(secret) } })
  expect(res.statusCode).toBe(200)
  return { secret, recoveryCodes: res.data.recoveryCodes }
}

const login = (user: SignedUp, code?: string) =>
  t.request({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password, ...(code !== undefined ? { code } : {}) } })

async function accountFailures(email: string): Promise<number> {
  const row = await t.platform.db.owner.selectFrom('login_throttles').select('failures').where('key', '=', `account:${email}`).executeTakeFirst()
  return row?.failures ?? 0
}

describe('enrolment', () => {
  it('needs a signed-in user', async () => {
    expect((await t.request({ method: 'POST', url: '/api/auth/2fa/enroll' })).statusCode).toBe(401)
    for (const url of ['/api/auth/2fa/confirm', '/api/auth/2fa/disable', '/api/auth/2fa/recovery-codes']) {
      const res = await t.request({ method: 'POST', url, payload: { code: '123456' } })
      expect(res.statusCode).toBe(401)
      expect(res.data.error.code).toBe('unauthenticated')
    }
    expect((await t.request({ method: 'GET', url: '/api/auth/2fa' })).statusCode).toBe(401)
  })

  it('is for users, not API keys (403)', async () => {
    const ada = await signUp(t)
    const { key, prefix, hash } = makeApiKey(ada.organization.id)
    await t.platform.db.owner
      .insertInto('api_keys')
      .values({ org_id: ada.organization.id, name: 'integration', prefix, key_hash: hash, permissions: ['organization:read'], created_by: null, last_used_at: null, expires_at: null, revoked_at: null })
      .execute()
    for (const [method, url, payload] of [
      ['GET', '/api/auth/2fa', undefined],
      ['POST', '/api/auth/2fa/enroll', {}],
      ['POST', '/api/auth/2fa/confirm', { code: '123456' }],
      ['POST', '/api/auth/2fa/disable', { code: '123456' }],
      ['POST', '/api/auth/2fa/recovery-codes', { code: '123456' }],
    ] as const) {
      const res = await t.request({ method, url, apiKey: key, ...(payload ? { payload } : {}) })
      expect(res.statusCode, url).toBe(403)
      expect(res.data.error.code).toBe('user_required')
    }
  })

  it('accepts an empty JSON object as the enrolment body, and nothing else', async () => {
    const ada = await signUp(t)
    expect((await t.request({ method: 'POST', url: '/api/auth/2fa/enroll', token: ada.accessToken, payload: {} })).statusCode).toBe(200)
    const extra = await t.request({ method: 'POST', url: '/api/auth/2fa/enroll', token: ada.accessToken, payload: { secret: 'JBSWY3DPEHPK3PXP' } })
    expect(extra.statusCode).toBe(400)
    expect(extra.data.error.details).toEqual([{ path: 'secret', message: 'is not a known field' }])
  })

  it('issues a secret, an otpauth URI for Luminous and the e-mail, and a PNG QR code; the secret is encrypted at rest', async () => {
    const ada = await signUp(t)
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/2fa/enroll', token: ada.accessToken })
    expect(res.statusCode).toBe(200)
    const { secret, otpauthUri, qrCode } = res.data
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const uri = new URL(otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(otpauthUri).toContain(`Luminous:${encodeURIComponent(ada.email)}`)
    expect(uri.searchParams.get('issuer')).toBe('Luminous')
    expect(uri.searchParams.get('secret')).toBe(secret)
    expect(qrCode).toMatch(/^data:image\/png;base64,/)
    const png = Buffer.from(qrCode.split(',')[1], 'base64')
    expect(png.subarray(1, 4).toString()).toBe('PNG')

    const row = await t.platform.db.owner.selectFrom('user_two_factor').selectAll().where('user_id', '=', ada.user.id).executeTakeFirstOrThrow()
    expect(row.secret_encrypted).not.toContain(secret)
    expect(row.enabled_at).toBeNull()
    expect(decryptSecret(t.config.ENCRYPTION_KEY, row.secret_encrypted, ada.user.id)).toBe(secret)

    const status = await t.request({ method: 'GET', url: '/api/auth/2fa', token: ada.accessToken })
    expect(status.data).toEqual({ enabled: false, pendingEnrollment: true, enabledAt: null, recoveryCodesRemaining: 0 })
    // Still off: log-in needs no code.
    expect((await login(ada)).statusCode).toBe(200)
  })

  it('refuses to confirm before enrolling, and with a wrong, malformed or unknown-field body', async () => {
    const ada = await signUp(t)
    const before = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: '123456' } })
    expect(before.statusCode).toBe(422)
    expect(before.data.error.code).toBe('two_factor_not_enrolled')

    const secret = await enroll(ada)
    const wrongCode = String((Number(await totp(secret)) + 1) % 1_000_000).padStart(6, '0')
    const wrong = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: wrongCode } })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.data.error.details).toEqual([{ path: 'code', message: expect.stringContaining('wrong') }])

    const short = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: '123' } })
    expect(short.statusCode).toBe(400)
    expect(short.data.error.details[0].path).toBe('code')

    const missing = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: {} })
    expect(missing.statusCode).toBe(400)
    expect(missing.data.error.details).toEqual([{ path: 'code', message: 'is required' }])

    const extra = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: await totp(secret), remember: true } })
    expect(extra.statusCode).toBe(400)
    expect(extra.data.error.details).toEqual([{ path: 'remember', message: 'is not a known field' }])

    // A code far outside the drift window (two minutes off) is refused.
    const far = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: await totp(secret, 120) } })
    expect(far.statusCode).toBe(400)

    const status = await t.request({ method: 'GET', url: '/api/auth/2fa', token: ada.accessToken })
    expect(status.data.enabled).toBe(false)
  })

  it('turns on with a code from the authenticator and answers ten recovery codes once', async () => {
    const ada = await signUp(t)
    const secret = await enroll(ada)
    const res = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: await totp(secret) } })
    expect(res.statusCode).toBe(200)
    expect(res.data.enabled).toBe(true)
    expect(new Date(res.data.enabledAt).getTime()).toBeGreaterThan(Date.now() - 60_000)
    const codes: string[] = res.data.recoveryCodes
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/)

    const stored = await t.platform.db.owner.selectFrom('user_recovery_codes').select('code_hash').where('user_id', '=', ada.user.id).execute()
    expect(stored).toHaveLength(10)
    for (const { code_hash } of stored) expect(codes.map((c) => c.replace(/-/g, ''))).not.toContain(code_hash)

    const status = await t.request({ method: 'GET', url: '/api/auth/2fa', token: ada.accessToken })
    expect(status.data).toMatchObject({ enabled: true, pendingEnrollment: false, recoveryCodesRemaining: 10 })

    const again = await t.request({ method: 'POST', url: '/api/auth/2fa/enroll', token: ada.accessToken })
    expect(again.statusCode).toBe(409)
    expect(again.data.error.code).toBe('two_factor_already_enabled')
    const reconfirm = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: ada.accessToken, payload: { code: await totp(secret, 30) } })
    expect(reconfirm.statusCode).toBe(409)

    const audit = await t.platform.db.owner.selectFrom('audit_logs').select('action').where('entity_id', '=', ada.user.id).execute()
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['two_factor.enrollment_started', 'two_factor.enabled']))
    const notices = await mailsTo(t, ada.email)
    expect(notices.map((m) => m.subject)).toContain('Luminous: Two-factor authentication is on')
  })
})

describe('log-in with two-factor on', () => {
  let ada: SignedUp
  let secret: string
  let recoveryCodes: string[]
  let usedCode: string
  beforeAll(async () => {
    ada = await signUp(t)
    ;({ secret, recoveryCodes } = await enable(ada))
  })

  it('asks for the code after a right password, without counting a failure', async () => {
    const res = await login(ada)
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('two_factor_required')
    expect(await accountFailures(ada.email)).toBe(0)
    // A wrong password is still just a wrong password.
    const wrongPassword = await t.request({ method: 'POST', url: '/api/auth/login', payload: { email: ada.email, password: 'not-the-password-1', code: '000000' } })
    expect(wrongPassword.data.error.code).toBe('invalid_credentials')
  })

  it('counts a wrong code as a failed log-in', async () => {
    const before = await accountFailures(ada.email)
    const res = await login(ada, '000000')
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('invalid_two_factor_code')
    expect(await accountFailures(ada.email)).toBe(before + 1)
  })

  it('signs in with a code one step ahead (clock drift), then refuses the same code again (replay)', async () => {
    const code = await totp(secret, 30)
    usedCode = code
    const ok = await login(ada, code)
    expect(ok.statusCode).toBe(200)
    expect(ok.data.tokens.accessToken).toBeTruthy()
    // A success clears the account's failures.
    expect(await accountFailures(ada.email)).toBe(0)
    const replay = await login(ada, code)
    expect(replay.statusCode).toBe(401)
    expect(replay.data.error.code).toBe('invalid_two_factor_code')
  })

  it('refuses a code from an earlier step than one already used', async () => {
    const res = await login(ada, await totp(secret, -30))
    expect(res.statusCode).toBe(401)
    expect(res.data.error.code).toBe('invalid_two_factor_code')
  })

  it('accepts a recovery code once, typed in any case and without dashes', async () => {
    const code = recoveryCodes[0]!
    const ok = await login(ada, code.replace(/-/g, '').toUpperCase())
    expect(ok.statusCode).toBe(200)
    const reused = await login(ada, code)
    expect(reused.statusCode).toBe(401)
    expect(reused.data.error.code).toBe('invalid_two_factor_code')
    const status = await t.request({ method: 'GET', url: '/api/auth/2fa', token: ok.data.tokens.accessToken })
    expect(status.data.recoveryCodesRemaining).toBe(9)
  })

  it('replaces the recovery codes on request, with a valid code; the old ones stop working', async () => {
    const bad = await t.request({ method: 'POST', url: '/api/auth/2fa/recovery-codes', token: ada.accessToken, payload: { code: '999999' } })
    expect(bad.statusCode).toBe(400)
    const res = await t.request({ method: 'POST', url: '/api/auth/2fa/recovery-codes', token: ada.accessToken, payload: { code: recoveryCodes[1] } })
    expect(res.statusCode).toBe(200)
    expect(res.data.recoveryCodes).toHaveLength(10)
    expect(res.data.recoveryCodes).not.toContain(recoveryCodes[2])
    expect((await login(ada, recoveryCodes[2])).statusCode).toBe(401)
    expect((await login(ada, res.data.recoveryCodes[0])).statusCode).toBe(200)
    recoveryCodes = res.data.recoveryCodes.slice(1)
  })

  it('turns off with a valid code (not a reused one); log-in then needs no code', async () => {
    const replay = await t.request({ method: 'POST', url: '/api/auth/2fa/disable', token: ada.accessToken, payload: { code: usedCode } })
    expect(replay.statusCode).toBe(400)
    const res = await t.request({ method: 'POST', url: '/api/auth/2fa/disable', token: ada.accessToken, payload: { code: recoveryCodes[0] } })
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({ enabled: false, pendingEnrollment: false, enabledAt: null, recoveryCodesRemaining: 0 })
    expect((await login(ada)).statusCode).toBe(200)
    expect((await mailsTo(t, ada.email)).map((m) => m.subject)).toEqual(
      expect.arrayContaining(['Luminous: Two-factor authentication is off', 'Luminous: New two-factor recovery codes']),
    )
    const left = await t.platform.db.owner.selectFrom('user_recovery_codes').select('id').where('user_id', '=', ada.user.id).execute()
    expect(left).toHaveLength(0)
    const again = await t.request({ method: 'POST', url: '/api/auth/2fa/disable', token: ada.accessToken, payload: { code: '123456' } })
    expect(again.statusCode).toBe(422)
    expect(again.data.error.code).toBe('two_factor_not_enabled')
    const regen = await t.request({ method: 'POST', url: '/api/auth/2fa/recovery-codes', token: ada.accessToken, payload: { code: '123456' } })
    expect(regen.statusCode).toBe(422)
  })
})

describe('wrong codes on the account routes', () => {
  it('pause disabling after five in a row, even for a right code, and change nothing', async () => {
    const bob = await signUp(t)
    const { secret } = await enable(bob)
    for (let i = 0; i < 5; i++) {
      const res = await t.request({ method: 'POST', url: '/api/auth/2fa/disable', token: bob.accessToken, payload: { code: '000000' } })
      expect(res.statusCode).toBe(400)
    }
    const paused = await t.request({ method: 'POST', url: '/api/auth/2fa/disable', token: bob.accessToken, payload: { code: await totp(secret, 30) } })
    expect(paused.statusCode).toBe(429)
    expect(paused.data.error.code).toBe('rate_limited')
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(800)
    const status = await t.request({ method: 'GET', url: '/api/auth/2fa', token: bob.accessToken })
    expect(status.data.enabled).toBe(true)
  })
})
