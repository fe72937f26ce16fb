// GET /api/v1/files/download: the public route that serves the local driver's signed URLs. The link
// is the credential, so altered or expired links are refused and nothing else is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { signUp, type SignedUp } from '../../support/factories.js'
import { download, mp4, upload } from './helpers.js'

let t: TestApp
let ada: SignedUp
let url: string
let key: string
const video = mp4(10_000)

beforeAll(async () => {
  t = await createTestApp()
  ada = await signUp(t)
  const res = await upload(t, ada.accessToken, { data: video, filename: 'clip.mp4' })
  expect(res.statusCode).toBe(201)
  url = res.data.url
  key = (await t.platform.db.owner.selectFrom('files').select('storage_key').where('id', '=', res.data.id).executeTakeFirstOrThrow()).storage_key
})
afterAll(() => t.close())

const withParam = (u: string, name: string, value: string | null) => {
  const next = new URL(u)
  if (value === null) next.searchParams.delete(name)
  else next.searchParams.set(name, value)
  return next.toString()
}

describe('GET /api/v1/files/download', () => {
  it('serves the file without credentials, cacheable only privately until the link expires', async () => {
    const res = await download(t, url)
    expect(res.statusCode).toBe(200)
    expect(res.rawPayload).toEqual(video)
    expect(res.headers).toMatchObject({
      'content-type': 'video/mp4',
      'content-length': String(video.length),
      'accept-ranges': 'bytes',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    })
    const maxAge = Number(/max-age=(\d+)/.exec(String(res.headers['cache-control']))?.[1])
    expect(res.headers['cache-control']).toMatch(/^private/)
    expect(maxAge).toBeGreaterThan(500)
    expect(maxAge).toBeLessThanOrEqual(t.config.FILE_URL_TTL)
  })

  it('serves byte ranges, as video players ask for them', async () => {
    const part = await download(t, url, { range: 'bytes=100-199' })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 100-199/${video.length}`)
    expect(part.rawPayload).toEqual(video.subarray(100, 200))
    const tail = await download(t, url, { range: 'bytes=-10' })
    expect(tail.statusCode).toBe(206)
    expect(tail.rawPayload).toEqual(video.subarray(video.length - 10))
    const open = await download(t, url, { range: 'bytes=9990-' })
    expect(open.rawPayload).toEqual(video.subarray(9990))
    // Unsatisfiable or malformed ranges get the whole file.
    for (const range of ['bytes=20000-30000', 'bytes=50-10', 'items=0-1']) {
      const whole = await download(t, url, { range })
      expect(whole.statusCode, range).toBe(200)
      expect(whole.rawPayload.length).toBe(video.length)
    }
  })

  it('refuses an altered link with 403 invalid_signature', async () => {
    const other = await upload(t, ada.accessToken, { data: mp4(500), filename: 'other.mp4' })
    const otherKey = new URL(other.data.url).searchParams.get('k')!
    for (const altered of [
      withParam(url, 'k', otherKey),
      withParam(url, 'e', String(Math.floor(Date.now() / 1000) + 86_400)),
      withParam(url, 't', 'text/html'),
      withParam(url, 'd', '1'),
      withParam(url, 'n', 'evil.html'),
      withParam(url, 's', 'A'.repeat(43)),
    ]) {
      const res = await download(t, altered)
      expect(res.statusCode, altered).toBe(403)
      expect(res.data.error.code).toBe('invalid_signature')
    }
  })

  it('refuses an expired link with 403 link_expired', async () => {
    const expired = await t.platform.storage.signedUrl(key, { ttlSeconds: -1, contentType: 'video/mp4' })
    const res = await download(t, expired)
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('link_expired')
  })

  it('answers 400 for a link missing its parts or carrying unknown ones', async () => {
    for (const bad of [withParam(url, 's', null), withParam(url, 'k', null), withParam(url, 'e', 'soon'), withParam(url, 'x', '1')]) {
      const res = await download(t, bad)
      expect(res.statusCode, bad).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
    }
  })

  it('answers 404 when the object is gone', async () => {
    const gone = await t.platform.storage.signedUrl('org/none/missing', { ttlSeconds: 60 })
    const res = await download(t, gone)
    expect(res.statusCode).toBe(404)
  })
})
