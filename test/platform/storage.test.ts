// One suite, both drivers: the local disk on a temporary directory, and S3 against a real
// S3-compatible server (s3rver) on 127.0.0.1.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError } from '../../src/platform/errors.js'
import { contentDisposition, createStorage, LocalStorage, UrlSigner, type Storage } from '../../src/platform/storage/index.js'
import { S3Storage } from '../../src/platform/storage/s3.js'
import { startS3Server, type TestS3Server } from '../support/s3-server.js'

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string))
  return Buffer.concat(parts)
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** A stream of `total` pseudo-random bytes in odd-sized chunks, and their hash. */
function bigStream(total: number): { stream: Readable; sha256: string } {
  const hash = createHash('sha256')
  const chunks: Buffer[] = []
  let left = total
  let seed = 7
  while (left > 0) {
    const n = Math.min(left, 1_000_003)
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i += 4096) b[i] = (seed = (seed * 31 + 17) % 251)
    chunks.push(b)
    hash.update(b)
    left -= n
  }
  return { stream: Readable.from(chunks), sha256: hash.digest('hex') }
}

function failingStream(): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(Buffer.alloc(1024, 1))
      } else {
        this.destroy(new Error('client went away'))
      }
    },
  })
}

interface DriverCase {
  name: string
  make(): Promise<{ storage: Storage; close(): Promise<void> }>
}

let s3: TestS3Server
const drivers: DriverCase[] = [
  {
    name: 'local',
    async make() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-storage-'))
      const storage = new LocalStorage(dir, new UrlSigner('k'.repeat(32), 'http://localhost:3000'))
      return { storage, close: async () => rmSync(dir, { recursive: true, force: true }) }
    },
  },
  {
    name: 's3',
    async make() {
      s3 = await startS3Server()
      // Through createStorage, as the app builds it (the SDK is loaded on first use).
      const storage = createStorage({
        STORAGE_DRIVER: 's3',
        DATA_DIR: '/nonexistent',
        PUBLIC_URL: 'http://localhost:3000',
        ENCRYPTION_KEY: 'k'.repeat(32),
        S3_BUCKET: s3.bucket,
        S3_REGION: 'us-east-1',
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        S3_FORCE_PATH_STYLE: true,
      })
      expect(storage.driver).toBe('s3')
      return { storage, close: () => s3.close() }
    },
  },
]

describe.each(drivers)('$name storage driver', ({ make }) => {
  let storage: Storage
  let close: () => Promise<void>
  beforeAll(async () => {
    ;({ storage, close } = await make())
  })
  afterAll(() => close())

  it('stores a buffer and reads it back', async () => {
    const body = Buffer.from('hello, storage')
    await storage.put('org/a/one.txt', body, { contentType: 'text/plain' })
    expect(await storage.exists('org/a/one.txt')).toBe(true)
    expect(await readAll(await storage.get('org/a/one.txt'))).toEqual(body)
  })

  it('stores streams with and without a known length', async () => {
    const body = Buffer.from('streamed bytes '.repeat(1000))
    await storage.put('org/a/known', Readable.from([body]), { contentType: 'application/octet-stream', contentLength: body.length })
    await storage.put('org/a/unknown', Readable.from([body.subarray(0, 5000), body.subarray(5000)]), { contentType: 'application/octet-stream' })
    expect(await readAll(await storage.get('org/a/known'))).toEqual(body)
    expect(await readAll(await storage.get('org/a/unknown'))).toEqual(body)
  })

  it('stores a large stream of unknown length intact (multipart on S3)', async () => {
    const { stream, sha256 } = bigStream(17 * 1024 * 1024 + 123)
    await storage.put('org/a/big.bin', stream, { contentType: 'application/octet-stream' })
    const back = await readAll(await storage.get('org/a/big.bin'))
    expect(back.length).toBe(17 * 1024 * 1024 + 123)
    expect(sha(back)).toBe(sha256)
  })

  it('replaces an object written twice', async () => {
    await storage.put('org/a/twice', Buffer.from('first'), { contentType: 'text/plain' })
    await storage.put('org/a/twice', Buffer.from('second'), { contentType: 'text/plain' })
    expect((await readAll(await storage.get('org/a/twice'))).toString()).toBe('second')
  })

  it('answers NotFound for an absent object and deletes idempotently', async () => {
    await expect(storage.get('org/a/missing')).rejects.toBeInstanceOf(NotFoundError)
    expect(await storage.exists('org/a/missing')).toBe(false)
    await storage.delete('org/a/missing')
    await storage.put('org/a/gone', Buffer.from('x'), { contentType: 'text/plain' })
    await storage.delete('org/a/gone')
    expect(await storage.exists('org/a/gone')).toBe(false)
    await expect(storage.get('org/a/gone')).rejects.toBeInstanceOf(NotFoundError)
  })

  it('leaves nothing behind when the incoming stream fails', async () => {
    await expect(storage.put('org/a/broken', failingStream(), { contentType: 'text/plain' })).rejects.toThrow('client went away')
    expect(await storage.exists('org/a/broken')).toBe(false)
  })

  it('refuses keys that could escape their place', async () => {
    for (const key of ['../etc/passwd', '/abs', 'a/../../b', '', 'a//b', 'a/./b', 'with space', 'a\\b']) {
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' }), key).rejects.toThrow(/Invalid storage key/)
    }
  })

  it('signs a URL for the object', async () => {
    await storage.put('org/a/photo.png', Buffer.from('png bytes'), { contentType: 'image/png' })
    const url = await storage.signedUrl('org/a/photo.png', { ttlSeconds: 60, fileName: 'Été photo.png', contentType: 'image/png' })
    expect(url).toMatch(/^http:\/\/(localhost:3000|127\.0\.0\.1:\d+)\//)
  })
})

describe('S3 presigned URLs', () => {
  let storage: S3Storage
  let server: TestS3Server
  beforeAll(async () => {
    server = await startS3Server('luminous-presign')
    storage = new S3Storage({ bucket: server.bucket, region: 'us-east-1', endpoint: server.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
    await storage.put('org/b/report.pdf', Buffer.from('%PDF-1.4 fake'), { contentType: 'application/pdf' })
  })
  afterAll(async () => {
    storage.close()
    await server.close()
  })

  it('serves the bytes with the requested name and type', async () => {
    const url = await storage.signedUrl('org/b/report.pdf', { ttlSeconds: 60, fileName: 'Q1 report.pdf', contentType: 'application/pdf', download: true })
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('%PDF-1.4 fake')
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.headers.get('content-disposition')).toBe(contentDisposition(true, 'Q1 report.pdf'))
  })

  // s3rver checks expiry but not SigV4 signatures, so tampering is S3's to refuse; check what we sign.
  it('presigns a SigV4 GET for exactly this object and lifetime', async () => {
    const url = new URL(await storage.signedUrl('org/b/report.pdf', { ttlSeconds: 90 }))
    expect(url.pathname).toBe(`/${server.bucket}/org/b/report.pdf`)
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256')
    expect(url.searchParams.get('X-Amz-Expires')).toBe('90')
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    expect(url.searchParams.get('response-content-disposition')).toBe('inline')
  })

  it('refuses an expired URL', async () => {
    const url = await storage.signedUrl('org/b/report.pdf', { ttlSeconds: 1 })
    await new Promise((r) => setTimeout(r, 2100))
    const res = await fetch(url)
    expect(res.status).toBe(403)
  })
})

describe('local signed URLs', () => {
  const signer = new UrlSigner('s'.repeat(32), 'https://luminous.example')
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams) as { k: string; e: string; s: string }

  it('round-trips the grant', () => {
    const url = signer.sign({ key: 'org/a/x', expires: Math.floor(Date.now() / 1000) + 60, fileName: 'x.png', contentType: 'image/png', download: false })
    expect(url.startsWith('https://luminous.example/api/v1/files/download?')).toBe(true)
    expect(signer.verify(query(url))).toMatchObject({ key: 'org/a/x', fileName: 'x.png', contentType: 'image/png', download: false })
  })

  it('refuses any altered field, a foreign key and an expired grant', () => {
    const url = signer.sign({ key: 'org/a/x', expires: Math.floor(Date.now() / 1000) + 60, contentType: 'image/png', download: false })
    const q = query(url)
    for (const altered of [
      { ...q, k: 'org/a/y' },
      { ...q, e: String(Number(q.e) + 3600) },
      { ...q, t: 'text/html' },
      { ...q, d: '1' },
      { ...q, s: q.s.slice(0, -2) },
      { ...q, s: '' },
    ]) {
      expect(() => signer.verify(altered), JSON.stringify(altered)).toThrow(expect.objectContaining({ status: 403, code: 'invalid_signature' }))
    }
    expect(() => new UrlSigner('t'.repeat(32), 'https://luminous.example').verify(q)).toThrow(expect.objectContaining({ code: 'invalid_signature' }))
    expect(() => signer.verify(q, Date.now() + 61_000)).toThrow(expect.objectContaining({ status: 403, code: 'link_expired' }))
  })

  it('builds Content-Disposition safely for any name', () => {
    expect(contentDisposition(false)).toBe('inline')
    expect(contentDisposition(true, 'Été "q".pdf')).toBe(`attachment; filename="_t_ _q_.pdf"; filename*=UTF-8''%C3%89t%C3%A9%20%22q%22.pdf`)
  })
})
