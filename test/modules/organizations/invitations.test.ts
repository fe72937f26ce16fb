// Invitations end to end: invite (mail delivered over real SMTP), list, resend, revoke, look up by
// token and accept — creating an account, or linking an existing one that is signed in.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/platform/auth/tokens.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { runJobs } from '../../support/jobs.js'
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js'
import { apiKeyFor, lastAudit, lastEvent, paths } from './helpers.js'

let smtp: TestSmtpServer
let t: TestApp
let owner: SignedUp
let admin: SignedUp
let agent: SignedUp
let outsider: SignedUp
beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp({ SMTP_URL: smtp.url })
  owner = await signUp(t, { businessName: 'Acme Coffee', firstName: 'Olive', lastName: 'Owner' })
  admin = await addMember(t, owner, 'admin')
  agent = await addMember(t, owner, 'agent')
  outsider = await signUp(t)
})
afterAll(async () => {
  await t.close()
  await smtp.close()
})

let seq = 0
const newAddress = () => `invitee-${Date.now()}-${seq++}@example.com`
const password = 'a perfectly good passphrase'

type Method = 'GET' | 'POST' | 'DELETE'
const req = (method: Method, url: string, token?: string, payload?: object) =>
  t.request({ method, url, ...(token ? { token } : {}), ...(payload ? { payload } : {}) })
const invite = (token: string | undefined, email: string, role = 'agent') => req('POST', '/api/v1/invitations', token, { email, role })
const lookup = (token: string) => req('GET', `/api/v1/invitations/lookup?token=${encodeURIComponent(token)}`)
const accept = (payload: object, bearer?: string) => req('POST', '/api/v1/invitations/accept', bearer, payload)

const decodeQuotedPrintable = (s: string) => s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))

/** Delivers queued mail through the SMTP server and returns the token of the newest invitation to `email`. */
async function mailedToken(email: string): Promise<string> {
  await runJobs(t)
  const mail = [...smtp.received].reverse().find((m) => m.to.includes(email) && /invited you/.test(m.headers.subject ?? ''))
  if (!mail) throw new Error(`no invitation mail to ${email}`)
  const token = /accept-invitation\?token=([A-Za-z0-9_-]+)/.exec(decodeQuotedPrintable(mail.body))?.[1]
  if (!token) throw new Error('no token in the invitation mail')
  return token
}

async function invited(email = newAddress(), role = 'agent'): Promise<{ id: string; email: string; token: string }> {
  const res = await invite(owner.accessToken, email, role)
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`invite: ${res.statusCode} ${res.body}`)
  return { id: res.data.id, email, token: await mailedToken(email) }
}

describe('POST /api/v1/invitations', () => {
  it('invites by e-mail: stored hashed, mailed with a link, expiring in 7 days, audited', async () => {
    const email = newAddress()
    const res = await invite(owner.accessToken, email.toUpperCase(), 'manager')
    expect(res.statusCode).toBe(201)
    expect(res.data).toMatchObject({ email, role: 'manager', status: 'pending', invitedBy: owner.user.id, acceptedAt: null, revokedAt: null })
    const days = (Date.parse(res.data.expiresAt) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(6.99)
    expect(days).toBeLessThanOrEqual(7)
    const token = await mailedToken(email)
    const mail = smtp.received.find((m) => m.to.includes(email))!
    expect(mail.headers.subject).toBe('Olive Owner invited you to join Acme Coffee on Luminous')
    const row = await t.platform.db.owner.selectFrom('invitations').selectAll().where('id', '=', res.data.id).executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(sha256(token))
    expect(JSON.stringify(row)).not.toContain(token)
    expect(await lastAudit(t, owner.organization.id, 'invitation')).toMatchObject({ entity_id: res.data.id, action: 'created' })
  })

  it('refreshes an open invitation when the address is invited again: same id, new token and role', async () => {
    const first = await invited(undefined, 'viewer')
    const again = await invite(owner.accessToken, first.email, 'agent')
    expect(again.statusCode).toBe(200)
    expect(again.data).toMatchObject({ id: first.id, role: 'agent', status: 'pending' })
    const token = await mailedToken(first.email)
    expect(token).not.toBe(first.token)
    expect((await lookup(first.token)).statusCode).toBe(404)
    expect((await lookup(token)).data.role).toBe('agent')
    expect((await lastAudit(t, owner.organization.id, 'invitation'))?.action).toBe('refreshed')
  })

  it('refuses to invite a current member (409)', async () => {
    const res = await invite(owner.accessToken, agent.email)
    expect(res.statusCode).toBe(409)
    expect(res.data.error.code).toBe('already_member')
  })

  it('does not let anyone invite above their own role; only owners invite owners', async () => {
    const res = await invite(admin.accessToken, newAddress(), 'owner')
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('owner_required')
    expect((await invite(admin.accessToken, newAddress(), 'admin')).statusCode).toBe(201)
    expect((await invite(owner.accessToken, newAddress(), 'owner')).statusCode).toBe(201)
  })

  it.each([
    [{ email: 'not-an-email', role: 'agent' }, 'email'],
    [{ email: 'a@example.com', role: 'king' }, 'role'],
    [{ email: 'a@example.com' }, 'role'],
    [{ email: 'a@example.com', role: 'agent', note: 'hi' }, 'note'],
  ])('refuses %j naming %s', async (payload, path) => {
    const res = await req('POST', '/api/v1/invitations', owner.accessToken, payload)
    expect(res.statusCode).toBe(400)
    expect(paths(res)).toContain(path)
  })

  it('answers 401 without credentials and 403 to roles without members:manage', async () => {
    expect((await invite(undefined, newAddress())).statusCode).toBe(401)
    expect((await invite(agent.accessToken, newAddress())).statusCode).toBe(403)
    const manager = await addMember(t, owner, 'manager')
    expect((await invite(manager.accessToken, newAddress())).statusCode).toBe(403)
  })
})

describe('GET /api/v1/invitations', () => {
  it('lists the organization’s invitations, filterable by status; any member may read', async () => {
    const revoked = await invited()
    await req('DELETE', `/api/v1/invitations/${revoked.id}`, owner.accessToken)
    const all = await req('GET', '/api/v1/invitations', agent.accessToken)
    expect(all.statusCode).toBe(200)
    expect(all.data.data.length).toBeGreaterThan(3)
    const pending = await req('GET', '/api/v1/invitations?filter[status][eq]=pending&count=true', owner.accessToken)
    expect(pending.data.data.every((i: { status: string }) => i.status === 'pending')).toBe(true)
    const gone = await req('GET', '/api/v1/invitations?filter[status][eq]=revoked', owner.accessToken)
    expect(gone.data.data.map((i: { id: string }) => i.id)).toEqual([revoked.id])
    const one = await req('GET', `/api/v1/invitations/${revoked.id}`, agent.accessToken)
    expect(one.data.status).toBe('revoked')
  })

  it('never shows another organization’s invitations (404 by id)', async () => {
    const mine = await invited()
    expect((await req('GET', '/api/v1/invitations', outsider.accessToken)).data.data).toEqual([])
    expect((await req('GET', `/api/v1/invitations/${mine.id}`, outsider.accessToken)).statusCode).toBe(404)
  })

  it('answers 400, 401 and 403', async () => {
    expect((await req('GET', '/api/v1/invitations?filter[status][eq]=lost', owner.accessToken)).statusCode).toBe(400)
    expect((await req('GET', '/api/v1/invitations')).statusCode).toBe(401)
    const key = await apiKeyFor(t, owner.accessToken, ['organization:read'])
    expect((await t.request({ method: 'GET', url: '/api/v1/invitations', apiKey: key })).statusCode).toBe(403)
    const inv = await invited()
    expect((await t.request({ method: 'GET', url: `/api/v1/invitations/${inv.id}`, apiKey: key })).statusCode).toBe(403)
    expect((await req('GET', `/api/v1/invitations/${inv.id}`)).statusCode).toBe(401)
  })
})

describe('DELETE /api/v1/invitations/:id and POST /api/v1/invitations/:id/resend', () => {
  it('revokes: the link stops working with invitation_revoked', async () => {
    const inv = await invited()
    expect((await req('DELETE', `/api/v1/invitations/${inv.id}`, admin.accessToken)).statusCode).toBe(204)
    const res = await lookup(inv.token)
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('invitation_revoked')
    const acc = await accept({ token: inv.token, firstName: 'A', lastName: 'B', password })
    expect(acc.data.error.code).toBe('invitation_revoked')
    expect((await lastAudit(t, owner.organization.id, 'invitation'))?.action).toBe('revoked')
    expect((await req('DELETE', `/api/v1/invitations/${inv.id}`, admin.accessToken)).statusCode).toBe(204)
    const resend = await req('POST', `/api/v1/invitations/${inv.id}/resend`, owner.accessToken)
    expect(resend.statusCode).toBe(422)
    expect(resend.data.error.code).toBe('invitation_revoked')
  })

  it('resends with a new token and a new expiry, also after expiry', async () => {
    const inv = await invited()
    await sql`UPDATE invitations SET expires_at = now() - interval '1 day' WHERE id = ${inv.id}`.execute(t.platform.db.owner)
    const expired = await lookup(inv.token)
    expect(expired.statusCode).toBe(422)
    expect(expired.data.error.code).toBe('invitation_expired')
    const res = await req('POST', `/api/v1/invitations/${inv.id}/resend`, owner.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.status).toBe('pending')
    const token = await mailedToken(inv.email)
    expect(token).not.toBe(inv.token)
    expect((await lookup(inv.token)).statusCode).toBe(404)
    expect((await lookup(token)).statusCode).toBe(200)
    expect((await lastAudit(t, owner.organization.id, 'invitation'))?.action).toBe('resent')
  })

  it('does not let an admin re-arm an owner invitation', async () => {
    const inv = await invited(undefined, 'owner')
    const res = await req('POST', `/api/v1/invitations/${inv.id}/resend`, admin.accessToken)
    expect(res.statusCode).toBe(403)
  })

  it('answers 404 for another organization’s invitation, 400 for a bad id, 401 and 403', async () => {
    const inv = await invited()
    for (const [method, url] of [
      ['DELETE', `/api/v1/invitations/${inv.id}`],
      ['POST', `/api/v1/invitations/${inv.id}/resend`],
    ] as const) {
      expect((await req(method, url, outsider.accessToken)).statusCode).toBe(404)
      expect((await req(method, url)).statusCode).toBe(401)
      expect((await req(method, url, agent.accessToken)).statusCode).toBe(403)
    }
    expect((await req('DELETE', '/api/v1/invitations/zzz', owner.accessToken)).statusCode).toBe(400)
    expect((await lookup(inv.token)).statusCode).toBe(200)
  })
})

describe('GET /api/v1/invitations/lookup', () => {
  it('tells the invitee the organization, inviter, role and whether an account exists', async () => {
    const inv = await invited(undefined, 'viewer')
    const res = await lookup(inv.token)
    expect(res.statusCode).toBe(200)
    expect(res.data).toEqual({
      organization: { name: 'Acme Coffee', slug: owner.organization.slug },
      inviter: { firstName: 'Olive', lastName: 'Owner' },
      email: inv.email,
      role: 'viewer',
      expiresAt: expect.any(String),
      accountExists: false,
    })
    const existing = await invited(outsider.email)
    expect((await lookup(existing.token)).data.accountExists).toBe(true)
  })

  it('answers 404 for an unknown token and 400 without one', async () => {
    expect((await lookup('x'.repeat(43))).statusCode).toBe(404)
    expect((await req('GET', '/api/v1/invitations/lookup')).statusCode).toBe(400)
  })
})

describe('POST /api/v1/invitations/accept', () => {
  it('creates the account, joins the organization and returns tokens for it', async () => {
    const inv = await invited(undefined, 'manager')
    const res = await accept({ token: inv.token, firstName: 'Grace', lastName: 'Hopper', password })
    expect(res.statusCode).toBe(200)
    expect(res.data.user).toMatchObject({ email: inv.email, firstName: 'Grace', lastName: 'Hopper', emailVerified: true })
    expect(res.data.organization).toEqual({ id: owner.organization.id, name: 'Acme Coffee', slug: owner.organization.slug })
    expect(res.data.role).toBe('manager')
    expect(res.data.accessToken).toBe(res.data.tokens.accessToken)
    const current = await req('GET', '/api/organizations/current', res.data.accessToken)
    expect(current.data.id).toBe(owner.organization.id)
    const member = await req('GET', `/api/v1/members/${res.data.user.id}`, owner.accessToken)
    expect(member.data.role).toBe('manager')
    expect((await lookup(inv.token)).data.error.code).toBe('invitation_already_accepted')
    const one = await req('GET', `/api/v1/invitations/${inv.id}`, owner.accessToken)
    expect(one.data).toMatchObject({ status: 'accepted', acceptedBy: res.data.user.id })
    expect(await lastAudit(t, owner.organization.id, 'membership')).toMatchObject({ entity_id: res.data.user.id, action: 'joined', actor_id: res.data.user.id })
    const event = await lastEvent(t, owner.organization.id, 'member.added')
    expect(event?.payload).toMatchObject({ userId: res.data.user.id, role: 'manager' })
    const login = await req('POST', '/api/v1/auth/login', undefined, { email: inv.email, password })
    expect(login.statusCode).toBe(200)
  })

  it('is single-use', async () => {
    const inv = await invited()
    expect((await accept({ token: inv.token, firstName: 'A', lastName: 'B', password })).statusCode).toBe(200)
    const again = await accept({ token: inv.token, firstName: 'A', lastName: 'B', password })
    expect(again.statusCode).toBe(422)
    expect(again.data.error.code).toBe('invitation_already_accepted')
  })

  it('lets only one of two simultaneous acceptances through', async () => {
    const inv = await invited()
    const results = await Promise.all([
      accept({ token: inv.token, firstName: 'A', lastName: 'One', password }),
      accept({ token: inv.token, firstName: 'B', lastName: 'Two', password }),
    ])
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes[0]).toBe(200)
    expect([409, 422]).toContain(codes[1])
    const users = await t.platform.db.owner.selectFrom('users').select('id').where('email', '=', inv.email).execute()
    expect(users).toHaveLength(1)
  })

  it('refuses an expired invitation with invitation_expired', async () => {
    const inv = await invited()
    await sql`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = ${inv.id}`.execute(t.platform.db.owner)
    const res = await accept({ token: inv.token, firstName: 'A', lastName: 'B', password })
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('invitation_expired')
  })

  it('needs names and a password for a new account, under the password policy, creating nothing otherwise', async () => {
    const inv = await invited()
    const missing = await accept({ token: inv.token })
    expect(missing.statusCode).toBe(400)
    expect(paths(missing).sort()).toEqual(['firstName', 'lastName', 'password'])
    const weak = await accept({ token: inv.token, firstName: 'A', lastName: 'B', password: 'password' })
    expect(weak.statusCode).toBe(400)
    expect(paths(weak)).toContain('password')
    const users = await t.platform.db.owner.selectFrom('users').select('id').where('email', '=', inv.email).execute()
    expect(users).toEqual([])
    expect((await lookup(inv.token)).statusCode).toBe(200)
    expect((await accept({ token: inv.token, firstName: 'A', lastName: 'B', password, extra: 1 })).statusCode).toBe(400)
    expect((await accept({ firstName: 'A' })).statusCode).toBe(400)
  })

  it('for an existing account, requires being signed in as it', async () => {
    const someone = await signUp(t)
    const inv = await invited(someone.email, 'viewer')
    const anonymous = await accept({ token: inv.token })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.data.error.code).toBe('sign_in_required')
    const wrong = await accept({ token: inv.token }, outsider.accessToken)
    expect(wrong.statusCode).toBe(403)
    expect(wrong.data.error.code).toBe('wrong_account')
    const res = await accept({ token: inv.token }, someone.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ user: { id: someone.user.id }, organization: { id: owner.organization.id }, role: 'viewer' })
    const orgs = await req('GET', '/api/organizations', res.data.accessToken)
    expect(orgs.data.data.map((o: { id: string }) => o.id).sort()).toEqual([someone.organization.id, owner.organization.id].sort())
    expect(orgs.data.data.find((o: { id: string }) => o.id === owner.organization.id)).toMatchObject({ role: 'viewer', current: true })
  })

  it('refuses a revoked session for an existing account', async () => {
    const someone = await signUp(t)
    const inv = await invited(someone.email)
    await req('POST', '/api/v1/auth/logout', someone.accessToken, {})
    const res = await accept({ token: inv.token }, someone.accessToken)
    expect(res.statusCode).toBe(401)
    expect((await lookup(inv.token)).statusCode).toBe(200)
  })

  it('answers 409 when the account joined in the meantime', async () => {
    const someone = await signUp(t)
    const inv = await invited(someone.email)
    await t.platform.db.owner.insertInto('memberships').values({ org_id: owner.organization.id, user_id: someone.user.id, role: 'viewer' }).execute()
    const res = await accept({ token: inv.token }, someone.accessToken)
    expect(res.statusCode).toBe(409)
    expect(res.data.error.code).toBe('already_member')
  })

  it('answers 404 for an unknown token', async () => {
    expect((await accept({ token: 'y'.repeat(43), firstName: 'A', lastName: 'B', password })).statusCode).toBe(404)
  })
})

describe('public invitation routes', () => {
  it('are held to the stricter per-IP auth rate limit (429 with Retry-After)', async () => {
    const limited = await createTestApp({ AUTH_RATE_LIMIT_MAX: '3' })
    try {
      const codes: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await limited.request({ method: 'GET', url: `/api/v1/invitations/lookup?token=${'z'.repeat(43)}` })
        codes.push(res.statusCode)
        if (res.statusCode === 429) {
          expect(res.headers['retry-after']).toBeDefined()
          expect(res.data.error.code).toBe('rate_limited')
        }
      }
      expect(codes).toEqual([404, 404, 404, 429])
    } finally {
      await limited.close()
    }
  })
})
