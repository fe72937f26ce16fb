// POST /api/v1/files/upload on the local driver: types come from the bytes, sizes are limited per kind,
// and a refused upload leaves nothing behind.
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { download, exe, mp4, multipart, pdf, png, upload } from './helpers.js'

let t: TestApp
let owner: SignedUp
let viewer: SignedUp

const LIMITS = { FILE_MAX_IMAGE_BYTES: '300000', FILE_MAX_DOCUMENT_BYTES: '100000', FILE_MAX_VIDEO_BYTES: '400000', FILE_MAX_AUDIO_BYTES: '50000' }

beforeAll(async () => {
  t = await createTestApp(LIMITS)
  owner = await signUp(t)
  viewer = await addMember(t, owner, 'viewer')
})
afterAll(() => t.close())

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const storedObjects = () => {
  const root = path.join(t.config.DATA_DIR, 'files')
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
  } catch {
    return 0
  }
}
const fileRows = async () => (await t.platform.db.owner.selectFrom('files').select('id').execute()).length

describe('POST /api/v1/files/upload', () => {
  it('stores an image with its detected type, size, hash and dimensions, and signs a working URL', async () => {
    const bytes = await png(64, 48)
    const res = await upload(t, owner.accessToken, { data: bytes, filename: 'Sunset.png', contentType: 'image/png' })
    expect(res.statusCode).toBe(201)
    expect(res.data).toMatchObject({
      name: 'Sunset.png',
      size: bytes.length,
      contentType: 'image/png',
      kind: 'image',
      purpose: 'attachment',
      sha256: sha(bytes),
      width: 64,
      height: 48,
      ownerId: owner.user.id,
    })
    expect(Date.parse(res.data.urlExpiresAt)).toBeGreaterThan(Date.now() + 500_000)
    expect(res.data.url.startsWith(`${t.config.PUBLIC_URL}/api/v1/files/download?`)).toBe(true)

    const got = await download(t, res.data.url)
    expect(got.statusCode).toBe(200)
    expect(got.rawPayload).toEqual(bytes)
    expect(got.headers['content-type']).toBe('image/png')
    expect(got.headers['content-disposition']).toBe(`inline; filename="Sunset.png"; filename*=UTF-8''Sunset.png`)

    const audit = await t.platform.db.owner.selectFrom('audit_logs').selectAll().where('entity', '=', 'file').where('entity_id', '=', res.data.id).executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ org_id: owner.organization.id, action: 'created', actor_id: owner.user.id })
  })

  it('takes documents, text and video, names them safely and keeps the purpose given', async () => {
    const doc = await upload(t, owner.accessToken, { data: pdf(), filename: 'C:\\fakepath\\Q1 report.pdf', contentType: 'application/octet-stream' }, { purpose: 'invoice' })
    expect(doc.statusCode).toBe(201)
    expect(doc.data).toMatchObject({ name: 'Q1 report.pdf', contentType: 'application/pdf', kind: 'document', purpose: 'invoice', width: null, height: null })

    const text = await upload(t, owner.accessToken, { data: 'name,amount\nAda,12\n', filename: 'export.csv', contentType: 'text/csv' })
    expect(text.statusCode).toBe(201)
    expect(text.data).toMatchObject({ name: 'export.csv', contentType: 'text/plain', kind: 'document' })
    const got = await download(t, text.data.url)
    expect(got.body).toBe('name,amount\nAda,12\n')

    const video = await upload(t, owner.accessToken, { data: mp4(300_000), filename: 'clip', contentType: 'video/mp4' })
    expect(video.statusCode).toBe(201)
    expect(video.data).toMatchObject({ name: 'clip.mp4', contentType: 'video/mp4', kind: 'video', size: 300_000 })
  })

  it('gives a file the extension of what it really is', async () => {
    const res = await upload(t, owner.accessToken, { data: pdf(), filename: 'notes.txt' })
    expect(res.data.name).toBe('notes.txt.pdf')
  })

  it('refuses a file over its kind’s limit with 413 and stores nothing', async () => {
    const [objects, rows] = [storedObjects(), await fileRows()]
    const tooBig = await upload(t, owner.accessToken, { data: pdf(100_001), filename: 'big.pdf' })
    expect(tooBig.statusCode).toBe(413)
    expect(tooBig.data.error.code).toBe('payload_too_large')
    expect(tooBig.data.error.message).toContain('Documents may be at most')
    // The same size is fine for a kind with a higher limit.
    const video = await upload(t, owner.accessToken, { data: mp4(100_100), filename: 'ok.mp4' })
    expect(video.statusCode).toBe(201)
    const bigImage = await upload(t, owner.accessToken, { data: Buffer.concat([await png(), Buffer.alloc(300_001)]), filename: 'huge.png' })
    expect(bigImage.statusCode).toBe(413)
    expect(storedObjects()).toBe(objects + 1)
    expect(await fileRows()).toBe(rows + 1)
  })

  it('refuses a spoofed type with 415, whatever the name and declared type say', async () => {
    const rows = await fileRows()
    const res = await upload(t, owner.accessToken, { data: exe(), filename: 'photo.png', contentType: 'image/png' })
    expect(res.statusCode).toBe(415)
    expect(res.data.error.code).toBe('unsupported_media_type')
    const binary = await upload(t, owner.accessToken, { data: Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]), filename: 'data.pdf', contentType: 'application/pdf' })
    expect(binary.statusCode).toBe(415)
    expect(await fileRows()).toBe(rows)
  })

  it('refuses a body that is not multipart with 415', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/files/upload', token: owner.accessToken, payload: { file: 'x' } })
    expect(res.statusCode).toBe(415)
    expect(res.data.error.code).toBe('unsupported_media_type')
  })

  it('answers 400 naming the field for a missing, empty or misnamed file and a bad purpose', async () => {
    const noFile = multipart([{ name: 'purpose', data: 'attachment' }])
    const cases = [
      { res: await t.request({ method: 'POST', url: '/api/v1/files/upload', token: owner.accessToken, payload: noFile.payload, headers: noFile.headers }), path: 'file' },
      { res: await upload(t, owner.accessToken, { data: Buffer.alloc(0), filename: 'empty.txt' }), path: 'file' },
      { res: await upload(t, owner.accessToken, { name: 'attachment', data: pdf(), filename: 'a.pdf' }), path: 'attachment' },
      { res: await upload(t, owner.accessToken, { data: pdf(), filename: 'a.pdf' }, { purpose: 'Not Valid!' }), path: 'purpose' },
      { res: await upload(t, owner.accessToken, { data: await png(), filename: 'me.png' }, { purpose: 'avatar' }), path: 'purpose' },
    ]
    for (const { res, path: field } of cases) {
      expect(res.statusCode, res.body).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
      expect(res.data.error.details.map((d: { path: string }) => d.path)).toEqual([field])
    }
  })

  it('answers 400, not 500, for a broken multipart body and stores nothing', async () => {
    const rows = await fileRows()
    const body = multipart([{ name: 'file', data: pdf(5000), filename: 'a.pdf' }])
    const send = (payload: Buffer, headers = body.headers) => t.request({ method: 'POST', url: '/api/v1/files/upload', token: owner.accessToken, payload, headers })
    for (const res of [
      await send(body.payload.subarray(0, body.payload.length - 40)),
      await send(body.payload, { 'content-type': 'multipart/form-data' }),
      await send(Buffer.from('garbage')),
    ]) {
      expect(res.statusCode, res.body).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
    }
    expect(await fileRows()).toBe(rows)
  })

  it('answers 401 without credentials and 403 for a role without files:write', async () => {
    const anonymous = await upload(t, undefined, { data: pdf(), filename: 'a.pdf' })
    expect(anonymous.statusCode).toBe(401)
    const res = await upload(t, viewer.accessToken, { data: pdf(), filename: 'a.pdf' })
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('forbidden')
  })
})
