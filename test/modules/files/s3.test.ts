// The files routes over the S3 driver, against a real S3-compatible server (s3rver) on 127.0.0.1:
// uploads land in the bucket, URLs are presigned for the bucket, deletions empty it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { signUp, type SignedUp } from '../../support/factories.js'
import { runJobs } from '../../support/jobs.js'
import { startS3Server, type TestS3Server } from '../../support/s3-server.js'
import { mp4, pdf, png, upload } from './helpers.js'

let s3: TestS3Server
let t: TestApp
let ada: SignedUp

beforeAll(async () => {
  s3 = await startS3Server('luminous-files')
  t = await createTestApp({ ...s3.env, FILE_MAX_DOCUMENT_BYTES: '100000' })
  ada = await signUp(t)
})
afterAll(async () => {
  await t.close()
  await s3.close()
})

const keyOf = async (id: string) => (await t.platform.db.owner.selectFrom('files').select('storage_key').where('id', '=', id).executeTakeFirstOrThrow()).storage_key

describe('files on S3', () => {
  it('uploads to the bucket and hands out presigned URLs that serve the bytes', async () => {
    expect(t.platform.storage.driver).toBe('s3')
    const bytes = await png(32, 32)
    const res = await upload(t, ada.accessToken, { data: bytes, filename: 'pic.png' })
    expect(res.statusCode).toBe(201)
    expect(res.data).toMatchObject({ contentType: 'image/png', width: 32, height: 32 })
    expect(res.data.url.startsWith(`${s3.endpoint}/${s3.bucket}/org/${ada.organization.id}/`)).toBe(true)
    const got = await fetch(res.data.url)
    expect(got.status).toBe(200)
    expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes)
    expect(got.headers.get('content-type')).toBe('image/png')

    const again = await t.request({ method: 'GET', url: `/api/v1/files/${res.data.id}`, token: ada.accessToken })
    expect(again.statusCode).toBe(200)
    expect((await fetch(again.data.url)).status).toBe(200)
  })

  it('streams non-images to the bucket and still refuses oversize ones with nothing left behind', async () => {
    const video = mp4(250_000)
    const ok = await upload(t, ada.accessToken, { data: video, filename: 'clip.mp4' })
    expect(ok.statusCode).toBe(201)
    expect(Buffer.from(await (await fetch(ok.data.url)).arrayBuffer())).toEqual(video)
    expect(await t.platform.storage.exists(await keyOf(ok.data.id))).toBe(true)

    const before = await t.platform.db.owner.selectFrom('files').select('id').execute()
    const tooBig = await upload(t, ada.accessToken, { data: pdf(150_000), filename: 'big.pdf' })
    expect(tooBig.statusCode).toBe(413)
    expect(await t.platform.db.owner.selectFrom('files').select('id').execute()).toHaveLength(before.length)
  })

  it('removes the object from the bucket when the file is deleted', async () => {
    const res = await upload(t, ada.accessToken, { data: pdf(), filename: 'gone.pdf' })
    const key = await keyOf(res.data.id)
    expect(await t.platform.storage.exists(key)).toBe(true)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${res.data.id}`, token: ada.accessToken })).statusCode).toBe(204)
    await runJobs(t)
    expect(await t.platform.storage.exists(key)).toBe(false)
  })

  it('has no local download route', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/files/download?k=x&e=1&s=x' })
    expect(res.statusCode).not.toBe(200)
    expect(res.statusCode).toBeLessThan(500)
  })
})
