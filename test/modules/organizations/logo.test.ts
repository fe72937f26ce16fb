// The business logo: POST /api/organizations/logo and the seed's /upload-logo, DELETE /api/organizations/logo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { runJobs } from '../../support/jobs.js'
import { download, exe, jpeg, multipart, png } from '../files/helpers.js'
import { lastAudit, lastEvent } from './helpers.js'

let t: TestApp
let owner: SignedUp
let outsider: SignedUp
beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t)
  outsider = await signUp(t)
})
afterAll(() => t.close())

function uploadLogo(token: string | undefined, data: Buffer, { url = '/api/organizations/logo', filename = 'logo.png', field = 'file' } = {}) {
  const body = multipart([{ name: field, data, filename }])
  return t.request({ method: 'POST', url, payload: body.payload, headers: body.headers, ...(token ? { token } : {}) })
}

const fileRow = (id: string) => t.platform.db.owner.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const logoFileId = async (orgId: string) =>
  (await t.platform.db.owner.selectFrom('organizations').select('logo_file_id').where('id', '=', orgId).executeTakeFirstOrThrow()).logo_file_id

describe('POST /api/organizations/logo', () => {
  it('stores the image as WebP within 1024×1024 and answers the organization with a signed logo URL', async () => {
    const res = await uploadLogo(owner.accessToken, await png(2048, 1024))
    expect(res.statusCode).toBe(200)
    expect(res.data.id).toBe(owner.organization.id)
    expect(res.data.logo).toMatch(/^http/)
    const image = await download(t, res.data.logo)
    expect(image.statusCode).toBe(200)
    expect(image.headers['content-type']).toBe('image/webp')
    const meta = await sharp(image.rawPayload).metadata()
    expect(meta).toMatchObject({ format: 'webp', width: 1024, height: 512 })
    const fileId = (await logoFileId(owner.organization.id))!
    expect(await fileRow(fileId)).toMatchObject({ purpose: 'logo', content_type: 'image/webp', org_id: owner.organization.id })
    expect(await lastAudit(t, owner.organization.id, 'organization')).toMatchObject({ action: 'logo_changed', changes: { logoFileId: { from: null, to: fileId } } })
    const event = await lastEvent(t, owner.organization.id, 'organization.updated')
    expect(event?.payload).toMatchObject({ id: owner.organization.id, logo: expect.any(String) })
    const current = await t.request({ method: 'GET', url: '/api/organizations/current', token: owner.accessToken })
    expect(current.data.logo).toMatch(/^http/)
  })

  it('replaces the previous logo, whose file is deleted and purged', async () => {
    const first = (await logoFileId(owner.organization.id))!
    const res = await t.request({ method: 'GET', url: '/api/organizations/current', token: owner.accessToken })
    const oldUrl = res.data.logo as string
    const again = await uploadLogo(owner.accessToken, await jpeg(300, 300), { url: '/api/organizations/upload-logo', filename: 'new.jpg' })
    expect(again.statusCode).toBe(200)
    const second = (await logoFileId(owner.organization.id))!
    expect(second).not.toBe(first)
    expect((await fileRow(first)).deleted_at).not.toBeNull()
    await runJobs(t)
    expect((await download(t, oldUrl)).statusCode).toBe(404)
    expect((await download(t, again.data.logo)).statusCode).toBe(200)
  })

  it('checks the type from the bytes, not the name (415), and changes nothing', async () => {
    const before = await logoFileId(owner.organization.id)
    const res = await uploadLogo(owner.accessToken, exe(), { filename: 'logo.png' })
    expect(res.statusCode).toBe(415)
    expect(res.data.error.code).toBe('unsupported_media_type')
    expect(await logoFileId(owner.organization.id)).toBe(before)
  })

  it('refuses an image over 5 MB (413)', async () => {
    const big = Buffer.concat([await png(8, 8), Buffer.alloc(5 * 1024 * 1024, 1)])
    const res = await uploadLogo(owner.accessToken, big)
    expect(res.statusCode).toBe(413)
    expect(res.data.error.code).toBe('payload_too_large')
  })

  it('answers 400 without a file part or with another field name, 415 for a JSON body', async () => {
    const wrongField = await uploadLogo(owner.accessToken, await png(), { field: 'image' })
    expect(wrongField.statusCode).toBe(400)
    expect(wrongField.data.error.details[0].path).toBe('image')
    const empty = multipart([{ name: 'note', data: 'hello' }])
    expect((await t.request({ method: 'POST', url: '/api/organizations/logo', token: owner.accessToken, payload: empty.payload, headers: empty.headers })).statusCode).toBe(400)
    const json = await t.request({ method: 'POST', url: '/api/organizations/logo', token: owner.accessToken, payload: { file: 'x' } })
    expect(json.statusCode).toBe(415)
  })

  it('answers 401 without credentials and 403 to roles without organization:update', async () => {
    expect((await uploadLogo(undefined, await png())).statusCode).toBe(401)
    const manager = await addMember(t, owner, 'manager')
    expect((await uploadLogo(manager.accessToken, await png())).statusCode).toBe(403)
    expect((await t.request({ method: 'DELETE', url: '/api/organizations/logo', token: manager.accessToken })).statusCode).toBe(403)
  })

  it("changes only the caller's organization", async () => {
    const mine = await logoFileId(owner.organization.id)
    const res = await uploadLogo(outsider.accessToken, await png())
    expect(res.statusCode).toBe(200)
    expect(await logoFileId(owner.organization.id)).toBe(mine)
    expect(await logoFileId(outsider.organization.id)).not.toBeNull()
  })
})

describe('DELETE /api/organizations/logo', () => {
  it('removes the logo and its file', async () => {
    const fileId = (await logoFileId(owner.organization.id))!
    const res = await t.request({ method: 'DELETE', url: '/api/organizations/logo', token: owner.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data.logo).toBeNull()
    expect((await fileRow(fileId)).deleted_at).not.toBeNull()
    expect(await lastAudit(t, owner.organization.id, 'organization')).toMatchObject({ action: 'logo_removed' })
    const again = await t.request({ method: 'DELETE', url: '/api/organizations/logo', token: owner.accessToken })
    expect(again.statusCode).toBe(200)
    expect(await logoFileId(outsider.organization.id)).not.toBeNull()
  })

  it('answers 401 without credentials', async () => {
    expect((await t.request({ method: 'DELETE', url: '/api/organizations/logo' })).statusCode).toBe(401)
  })

  it('cannot be deleted through the files API (422), which keeps it the logo', async () => {
    await uploadLogo(owner.accessToken, await png())
    const fileId = (await logoFileId(owner.organization.id))!
    const res = await t.request({ method: 'DELETE', url: `/api/v1/files/${fileId}`, token: owner.accessToken })
    expect(res.statusCode).toBe(422)
    expect(await logoFileId(owner.organization.id)).toBe(fileId)
  })
})

describe('a broken multipart body', () => {
  it('is a 400, not a 500', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/organizations/logo',
      token: owner.accessToken,
      payload: Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nunterminated'),
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    })
    expect(res.statusCode).toBe(400)
  })
})
