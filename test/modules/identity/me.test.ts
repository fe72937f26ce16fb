// The signed-in user's own account over HTTP: profile read and update, avatar, and account deletion.
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { generate } from 'otplib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeApiKey } from '../../../src/platform/auth/tokens.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const get = (user: SignedUp) => t.request({ method: 'GET', url: '/api/users/me', token: user.accessToken })
const patch = (user: SignedUp, payload: unknown, method: 'PATCH' | 'PUT' = 'PATCH') =>
  t.request({ method, url: '/api/users/me', token: user.accessToken, payload: payload as Record<string, unknown> })
const remove = (user: SignedUp, payload: Record<string, unknown>) =>
  t.request({ method: 'DELETE', url: '/api/users/me', token: user.accessToken, payload })
const login = (user: SignedUp) => t.request({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password } })

async function apiKeyFor(user: SignedUp): Promise<string> {
  const { key, prefix, hash } = makeApiKey(user.organization.id)
  await sql`INSERT INTO api_keys (org_id, name, prefix, key_hash, permissions)
    VALUES (${user.organization.id}, 'integration', ${prefix}, ${hash}, ${sql.lit('{organization:read}')})`.execute(t.platform.db.owner)
  return key
}

interface Part {
  name: string
  filename?: string
  type?: string
  data: Buffer | string
}

/** A multipart/form-data request body, as a browser sends it. */
function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----luminous${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`))
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer()

const uploadAvatar = (user: SignedUp, parts: Part[]) =>
  t.request({ method: 'POST', url: '/api/users/me/avatar', token: user.accessToken, ...multipart(parts) })

const fileRow = (id: string) => t.platform.db.owner.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const avatarIdOf = async (userId: string) =>
  (await t.platform.db.owner.selectFrom('users').select('avatar_file_id').where('id', '=', userId).executeTakeFirstOrThrow()).avatar_file_id

const auditOf = (userId: string) =>
  t.platform.db.owner.selectFrom('audit_logs').selectAll().where('entity', '=', 'user').where('entity_id', '=', userId).orderBy('id').execute()

describe('GET /api/users/me', () => {
  it('answers the signed-in user', async () => {
    const ada = await signUp(t, { firstName: 'Ada', lastName: 'Lovelace' })
    const res = await get(ada)
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({
      id: ada.user.id,
      email: ada.email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      phoneNumber: '+14155552671',
      locale: 'en',
      timezone: 'UTC',
      settings: {},
      avatarUrl: null,
    })
    expect(res.data).not.toHaveProperty('passwordHash')
  })

  it('needs credentials, and a user rather than an API key', async () => {
    const ada = await signUp(t)
    expect((await t.request({ method: 'GET', url: '/api/users/me' })).statusCode).toBe(401)
    const bad = await t.request({ method: 'GET', url: '/api/users/me', token: 'not-a-token' })
    expect(bad.statusCode).toBe(401)
    expect(bad.data.error.code).toBe('invalid_token')
    const key = await apiKeyFor(ada)
    const viaKey = await t.request({ method: 'GET', url: '/api/users/me', apiKey: key })
    expect(viaKey.statusCode).toBe(403)
    const patchViaKey = await t.request({ method: 'PATCH', url: '/api/users/me', apiKey: key, payload: { firstName: 'Eve' } })
    expect(patchViaKey.statusCode).toBe(403)
  })

  it('needs no permission: a viewer manages their own profile and avatar', async () => {
    const ada = await signUp(t)
    const viewer = await addMember(t, ada, 'viewer')
    const res = await patch(viewer, { firstName: 'Vera' })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ id: viewer.user.id, firstName: 'Vera' })
    const avatar = await uploadAvatar(viewer, [{ name: 'file', filename: 'v.png', data: await png(8, 8) }])
    expect(avatar.statusCode).toBe(200)
    // The owner is untouched.
    expect((await get(ada)).data.firstName).toBe(ada.user.firstName)
  })

  it('is always the caller: another organization’s member sees only themselves', async () => {
    const ada = await signUp(t)
    const bob = await signUp(t)
    const res = await get(bob)
    expect(res.data.id).toBe(bob.user.id)
    expect(res.data.id).not.toBe(ada.user.id)
  })
})

describe('PATCH and PUT /api/users/me', () => {
  it('changes names, phone (to E.164), locale (canonical), timezone and settings, and audits the change', async () => {
    const ada = await signUp(t)
    const res = await patch(ada, {
      firstName: '  Augusta ',
      lastName: 'King',
      phoneNumber: '+55 (11) 91234-5678',
      locale: 'pt-br',
      timezone: 'America/Sao_Paulo',
      settings: { theme: 'dark', notifications: { email: false } },
    })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({
      firstName: 'Augusta',
      lastName: 'King',
      phoneNumber: '+5511912345678',
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
      settings: { theme: 'dark', notifications: { email: false } },
    })
    expect((await get(ada)).data).toMatchObject({ firstName: 'Augusta', locale: 'pt-BR' })

    const entries = await auditOf(ada.user.id)
    const update = entries.find((e) => e.action === 'updated')
    expect(update).toMatchObject({ org_id: ada.organization.id, actor_type: 'user', actor_id: ada.user.id })
    expect(update?.changes).toMatchObject({
      first_name: { from: 'Ada', to: 'Augusta' },
      locale: { from: 'en', to: 'pt-BR' },
      timezone: { from: 'UTC', to: 'America/Sao_Paulo' },
    })
  })

  it('merges settings shallowly; null removes a key', async () => {
    const ada = await signUp(t)
    await patch(ada, { settings: { theme: 'dark', density: 'compact' } })
    const res = await patch(ada, { settings: { theme: 'light', density: null, sidebar: { open: true } } })
    expect(res.statusCode).toBe(200)
    expect(res.data.settings).toEqual({ theme: 'light', sidebar: { open: true } })
  })

  it('accepts PUT with the same body, leaving other fields as they were', async () => {
    const ada = await signUp(t, { lastName: 'Lovelace' })
    const res = await patch(ada, { firstName: 'Countess' }, 'PUT')
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ firstName: 'Countess', lastName: 'Lovelace' })
  })

  it('accepts current IANA names and UTC, and removes the phone with null', async () => {
    const ada = await signUp(t)
    for (const timezone of ['UTC', 'Asia/Kolkata', 'Europe/Lisbon', 'America/Argentina/Buenos_Aires']) {
      const res = await patch(ada, { timezone })
      expect(res.statusCode, timezone).toBe(200)
      expect(res.data.timezone).toBe(timezone)
    }
    const res = await patch(ada, { phoneNumber: null })
    expect(res.data.phoneNumber).toBeNull()
  })

  it('refuses bad values with the field named, and changes nothing', async () => {
    const ada = await signUp(t)
    const cases: [Record<string, unknown>, string][] = [
      [{ timezone: 'Mars/Olympus_Mons' }, 'timezone'],
      [{ timezone: 'EST' }, 'timezone'],
      [{ timezone: '+05:00' }, 'timezone'],
      [{ locale: 'en_US' }, 'locale'],
      [{ locale: 'not a locale' }, 'locale'],
      [{ phoneNumber: '12345' }, 'phoneNumber'],
      [{ firstName: '   ' }, 'firstName'],
      [{ firstName: '' }, 'firstName'],
      [{ lastName: 'x'.repeat(101) }, 'lastName'],
      [{ settings: 'dark' }, 'settings'],
      [{ settings: { blob: 'x'.repeat(17 * 1024) } }, 'settings'],
      [{ email: 'new@example.com' }, 'email'],
      [{ nickname: 'Ada' }, 'nickname'],
    ]
    for (const [body, path] of cases) {
      const res = await patch(ada, { firstName: 'Changed', ...body })
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
      expect(res.data.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path)
    }
    const empty = await patch(ada, {})
    expect(empty.statusCode).toBe(400)
    const after = await get(ada)
    expect(after.data).toMatchObject({ firstName: ada.user.firstName, timezone: 'UTC', locale: 'en', settings: {} })
  })

  it('needs credentials', async () => {
    const res = await t.request({ method: 'PATCH', url: '/api/users/me', payload: { firstName: 'Eve' } })
    expect(res.statusCode).toBe(401)
  })
})

describe('avatar', () => {
  it('stores an uploaded image as WebP within 512×512 and answers a signed URL that serves it', async () => {
    const ada = await signUp(t)
    const res = await uploadAvatar(ada, [{ name: 'file', filename: 'me.png', type: 'image/png', data: await png(1024, 768) }])
    expect(res.statusCode, res.body).toBe(200)
    expect(res.data.id).toBe(ada.user.id)
    expect(res.data.avatarUrl).toEqual(expect.any(String))

    const fileId = await avatarIdOf(ada.user.id)
    const file = await fileRow(fileId!)
    expect(file).toMatchObject({ purpose: 'avatar', content_type: 'image/webp', width: 512, height: 384, owner_id: ada.user.id, deleted_at: null })

    const url = new URL(res.data.avatarUrl)
    const download = await t.request({ method: 'GET', url: url.pathname + url.search })
    expect(download.statusCode).toBe(200)
    expect(download.rawPayload.subarray(0, 4).toString()).toBe('RIFF')
    expect(download.rawPayload.subarray(8, 12).toString()).toBe('WEBP')
    const meta = await sharp(download.rawPayload).metadata()
    expect([meta.width, meta.height]).toEqual([512, 384])

    const me = await get(ada)
    expect(me.data.avatarUrl).toEqual(expect.any(String))
  })

  it('removes the previous avatar when replaced, even one uploaded in another organization', async () => {
    const ada = await signUp(t)
    const first = await uploadAvatar(ada, [{ name: 'file', filename: 'a.png', data: await png(64, 64) }])
    expect(first.statusCode).toBe(200)
    const firstId = (await avatarIdOf(ada.user.id))!

    // Ada joins Bob's organization and changes her avatar from there.
    const bob = await signUp(t)
    await t.platform.db.owner.insertInto('memberships').values({ org_id: bob.organization.id, user_id: ada.user.id, role: 'viewer' }).execute()
    const switched = await t.request({ method: 'POST', url: '/api/auth/switch-organization', token: ada.accessToken, payload: { organizationId: bob.organization.id } })
    expect(switched.statusCode).toBe(200)
    const adaAtBob = { ...ada, accessToken: switched.data.tokens.accessToken as string }
    // Bob's members see her avatar too.
    expect((await get(adaAtBob)).data.avatarUrl).toEqual(expect.any(String))

    const second = await uploadAvatar(adaAtBob, [{ name: 'file', filename: 'b.png', data: await png(32, 32) }])
    expect(second.statusCode, second.body).toBe(200)
    const secondId = (await avatarIdOf(ada.user.id))!
    expect(secondId).not.toBe(firstId)
    expect((await fileRow(firstId)).deleted_at).toBeInstanceOf(Date)
    expect((await fileRow(secondId)).org_id).toBe(bob.organization.id)
    const entries = await auditOf(ada.user.id)
    expect(entries.filter((e) => e.action === 'avatar_changed')).toHaveLength(2)
  })

  it('refuses bytes that are not an image whatever the name and declared type (415), and changes nothing', async () => {
    const ada = await signUp(t)
    await uploadAvatar(ada, [{ name: 'file', filename: 'ok.png', data: await png(16, 16) }])
    const before = await avatarIdOf(ada.user.id)
    const spoofed = await uploadAvatar(ada, [{ name: 'file', filename: 'photo.png', type: 'image/png', data: 'MZ definitely not a picture '.repeat(40) }])
    expect(spoofed.statusCode).toBe(415)
    expect(spoofed.data.error.code).toBe('unsupported_media_type')
    const pdf = await uploadAvatar(ada, [{ name: 'file', filename: 'me.png', type: 'image/png', data: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n') }])
    expect(pdf.statusCode).toBe(415)
    expect(await avatarIdOf(ada.user.id)).toBe(before)
  })

  it('refuses an image over 5 MB (413)', async () => {
    const ada = await signUp(t)
    const big = Buffer.concat([await png(8, 8), randomBytes(5 * 1024 * 1024)])
    const res = await uploadAvatar(ada, [{ name: 'file', filename: 'big.png', data: big }])
    expect(res.statusCode).toBe(413)
    expect(res.data.error.code).toBe('payload_too_large')
    expect(await avatarIdOf(ada.user.id)).toBeNull()
  })

  it('needs a file part in a multipart body, and credentials', async () => {
    const ada = await signUp(t)
    const none = await uploadAvatar(ada, [{ name: 'note', data: 'hello' }])
    expect(none.statusCode).toBe(400)
    const json = await t.request({ method: 'POST', url: '/api/users/me/avatar', token: ada.accessToken, payload: { file: 'x' } })
    expect(json.statusCode).toBe(415)
    const anon = await t.request({ method: 'POST', url: '/api/users/me/avatar', ...multipart([{ name: 'file', filename: 'a.png', data: await png(8, 8) }]) })
    expect(anon.statusCode).toBe(401)
    expect((await t.request({ method: 'DELETE', url: '/api/users/me/avatar' })).statusCode).toBe(401)
  })

  it('removes the avatar and its file', async () => {
    const ada = await signUp(t)
    await uploadAvatar(ada, [{ name: 'file', filename: 'a.png', data: await png(16, 16) }])
    const fileId = (await avatarIdOf(ada.user.id))!
    const res = await t.request({ method: 'DELETE', url: '/api/users/me/avatar', token: ada.accessToken })
    expect(res.statusCode).toBe(204)
    expect(await avatarIdOf(ada.user.id)).toBeNull()
    expect((await fileRow(fileId)).deleted_at).toBeInstanceOf(Date)
    expect((await get(ada)).data.avatarUrl).toBeNull()
    // Again: nothing to remove is fine.
    expect((await t.request({ method: 'DELETE', url: '/api/users/me/avatar', token: ada.accessToken })).statusCode).toBe(204)
  })
})

describe('DELETE /api/users/me', () => {
  it('needs credentials and the right password, and changes nothing otherwise', async () => {
    const ada = await signUp(t)
    const anon = await t.request({ method: 'DELETE', url: '/api/users/me', payload: { password: ada.password } })
    expect(anon.statusCode).toBe(401)
    const missing = await remove(ada, {})
    expect(missing.statusCode).toBe(400)
    expect(missing.data.error.details).toEqual([{ path: 'password', message: 'is required' }])
    const extra = await remove(ada, { password: ada.password, reason: 'bye' })
    expect(extra.statusCode).toBe(400)
    const wrong = await remove(ada, { password: 'not-my-password-123' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.data.error.details).toEqual([{ path: 'password', message: 'is incorrect' }])
    expect((await get(ada)).statusCode).toBe(200)
  })

  it('refuses while the user is the only owner of an organization, naming it', async () => {
    const ada = await signUp(t, { businessName: 'Ada Analytical Engines' })
    const res = await remove(ada, { password: ada.password })
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('ownership_transfer_required')
    expect(res.data.error.message).toContain('Ada Analytical Engines')
    expect(res.data.error.details).toEqual([{ path: `organizations.${ada.organization.id}`, message: expect.stringContaining('Ada Analytical Engines') }])
    expect((await get(ada)).statusCode).toBe(200)
    expect((await login(ada)).statusCode).toBe(200)
  })

  it('erases the personal data, ends every session and membership; the user can no longer log in', async () => {
    const ada = await signUp(t, { businessName: 'Shared Co' })
    // A second owner of Ada's organization, so Ada may leave it; Ada is also an agent elsewhere.
    const grace = await addMember(t, ada, 'owner')
    const carol = await signUp(t)
    const adaAtCarol = await t.platform.db.owner
      .insertInto('memberships')
      .values({ org_id: carol.organization.id, user_id: ada.user.id, role: 'agent' })
      .returning('org_id')
      .execute()
    expect(adaAtCarol).toHaveLength(1)
    await patch(ada, { settings: { theme: 'dark' }, timezone: 'Europe/Lisbon' })
    expect((await uploadAvatar(ada, [{ name: 'file', filename: 'a.png', data: await png(16, 16) }])).statusCode).toBe(200)
    const avatarId = (await avatarIdOf(ada.user.id))!
    const second = await login(ada)
    expect(second.statusCode).toBe(200)

    const res = await remove(ada, { password: ada.password })
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')

    const row = await t.platform.db.owner.selectFrom('users').selectAll().where('id', '=', ada.user.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      first_name: 'Deleted',
      last_name: 'user',
      phone_number: null,
      avatar_file_id: null,
      settings: {},
      email_verified_at: null,
      last_org_id: null,
    })
    expect(row.email).toMatch(/@erased\.invalid$/)
    expect(row.email).not.toContain(ada.email.split('@')[0])
    expect(row.deleted_at).toBeInstanceOf(Date)
    expect((await fileRow(avatarId)).deleted_at).toBeInstanceOf(Date)
    const memberships = await t.platform.db.owner.selectFrom('memberships').select('org_id').where('user_id', '=', ada.user.id).execute()
    expect(memberships).toEqual([])
    const live = await t.platform.db.owner.selectFrom('sessions').select('id').where('user_id', '=', ada.user.id).where('revoked_at', 'is', null).execute()
    expect(live).toEqual([])

    // Neither the old tokens nor the old password work any more.
    expect((await get(ada)).statusCode).toBe(401)
    const refresh = await t.request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: second.data.tokens.refreshToken } })
    expect(refresh.statusCode).toBe(401)
    const again = await login(ada)
    expect(again.statusCode).toBe(401)
    expect(again.data.error.code).toBe('invalid_credentials')

    // The organization goes on with its other owner, and the audit log says what happened.
    expect((await get(grace)).statusCode).toBe(200)
    const entry = (await auditOf(ada.user.id)).find((e) => e.action === 'deleted')
    expect(entry).toMatchObject({ org_id: ada.organization.id, actor_id: ada.user.id, changes: { membershipsRemoved: 2 } })

    // The address is free for a new account.
    const fresh = await signUp(t, { email: ada.email })
    expect(fresh.user.id).not.toBe(ada.user.id)
  })

  it('asks for the second factor while two-factor is on', async () => {
    const dan = await signUp(t)
    await addMember(t, dan, 'owner')
    const enroll = await t.request({ method: 'POST', url: '/api/auth/2fa/enroll', token: dan.accessToken })
    const secret = enroll.data.secret as string
    const confirm = await t.request({ method: 'POST', url: '/api/auth/2fa/confirm', token: dan.accessToken, payload: { code: await generate({ secret }) } })
    expect(confirm.statusCode).toBe(200)

    const without = await remove(dan, { password: dan.password })
    expect(without.statusCode).toBe(400)
    expect(without.data.error.details).toEqual([{ path: 'code', message: expect.stringContaining('required') }])
    const wrong = await remove(dan, { password: dan.password, code: '000000' })
    expect(wrong.statusCode).toBe(400)
    const res = await remove(dan, { password: dan.password, code: confirm.data.recoveryCodes[0] })
    expect(res.statusCode).toBe(204)
    const twoFactor = await t.platform.db.owner.selectFrom('user_two_factor').select('user_id').where('user_id', '=', dan.user.id).execute()
    expect(twoFactor).toEqual([])
    const codes = await t.platform.db.owner.selectFrom('user_recovery_codes').select('id').where('user_id', '=', dan.user.id).execute()
    expect(codes).toEqual([])
  })
})
