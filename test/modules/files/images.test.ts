// saveImage, fileUrl and deleteFile as the avatar and logo routes use them: images become upright,
// scaled, metadata-free WebP; avatars follow their user across organizations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { deleteFile, fileUrl, saveImage, saveUpload } from '../../../src/modules/files/index.js'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { ctxFor, download, exe, inTx, jpeg, multipartFile, pdf, png } from './helpers.js'

let t: TestApp
let ada: SignedUp
let grace: SignedUp
let adaInGraceOrg: SignedUp
let graceColleague: SignedUp
let stranger: SignedUp

const opts = { purpose: 'logo', maxBytes: 2_000_000, maxWidth: 400, maxHeight: 400 }

beforeAll(async () => {
  t = await createTestApp()
  ada = await signUp(t)
  grace = await signUp(t)
  graceColleague = await addMember(t, grace, 'agent')
  stranger = await signUp(t)
})
afterAll(() => t.close())

async function bytesOf(url: string): Promise<Buffer> {
  const res = await download(t, url)
  expect(res.statusCode).toBe(200)
  return res.rawPayload
}

describe('saveImage', () => {
  it('stores WebP scaled to fit, upright, without metadata', async () => {
    // 1200x600 stored sideways (EXIF orientation 6: rotate 90° to show), with private notes in EXIF.
    const plain = await sharp({ create: { width: 1200, height: 600, channels: 3, background: '#3a6' } }).jpeg().toBuffer()
    const input = await sharp(plain)
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Copyright: 'Ada, private', ImageDescription: 'home address' } })
      .jpeg()
      .toBuffer()
    expect(input.includes(Buffer.from('home address'))).toBe(true)
    const row = await saveImage(ctxFor(t, ada), multipartFile(input, 'Holiday Photo.JPG'), opts)
    expect(row).toMatchObject({ name: 'Holiday Photo.webp', content_type: 'image/webp', kind: 'image', purpose: 'logo', width: 200, height: 400, owner_id: ada.user.id })

    const stored = await bytesOf(await inTx(t, ada, (ctx) => fileUrl(ctx, row.id)))
    expect(stored.length).toBe(row.size)
    const meta = await sharp(stored).metadata()
    expect(meta).toMatchObject({ format: 'webp', width: 200, height: 400 })
    expect(meta.exif).toBeUndefined()
    expect(meta.orientation).toBeUndefined()
    expect(stored.includes(Buffer.from('home address'))).toBe(false)
  })

  it('never enlarges a small image', async () => {
    const row = await saveImage(ctxFor(t, ada), multipartFile(await png(40, 30), 'tiny.png', 'image/png'), opts)
    expect([row.width, row.height]).toEqual([40, 30])
  })

  it('refuses what is not an image by its bytes (415), whatever it is called', async () => {
    for (const data of [pdf(), exe(), Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')]) {
      await expect(saveImage(ctxFor(t, ada), multipartFile(data, 'logo.png', 'image/png'), opts)).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' })
    }
  })

  it('refuses a damaged image with 415', async () => {
    const good = await jpeg(300, 300)
    const damaged = Buffer.concat([good.subarray(0, 200), Buffer.alloc(2000, 0x41)])
    await expect(saveImage(ctxFor(t, ada), multipartFile(damaged), opts)).rejects.toMatchObject({ status: 415 })
  })

  it('refuses images over the byte limit or the pixel limit with 413', async () => {
    const big = await jpeg(800, 800)
    await expect(saveImage(ctxFor(t, ada), multipartFile(big), { ...opts, maxBytes: big.length - 1 })).rejects.toMatchObject({ status: 413, code: 'payload_too_large' })
    await expect(saveImage(ctxFor(t, ada), multipartFile(big), { ...opts, maxInputPixels: 500_000 })).rejects.toMatchObject({ status: 413, message: expect.stringContaining('0.5 megapixels') })
  })

  it('refuses a purpose that is not a slug', async () => {
    await expect(saveImage(ctxFor(t, ada), multipartFile(await png()), { ...opts, purpose: 'Logo!' })).rejects.toMatchObject({ status: 400 })
  })
})

describe('saveUpload options', () => {
  it('accepts only the kinds asked for', async () => {
    const ctx = ctxFor(t, ada)
    await expect(saveUpload(ctx, multipartFile(pdf(), 'a.pdf'), { purpose: 'import', maxBytes: 1_000_000, allowedKinds: ['image'] })).rejects.toMatchObject({ status: 415 })
    await expect(saveUpload(ctx, multipartFile(pdf(), 'a.pdf'), { purpose: 'import', maxBytes: { image: 1_000_000 } })).rejects.toMatchObject({ status: 415 })
    const row = await saveUpload(ctx, multipartFile(pdf(), 'a.pdf'), { purpose: 'import', maxBytes: { document: 1_000_000 } })
    expect(row.kind).toBe('document')
  })
})

describe('avatars across organizations', () => {
  let avatarId: string

  beforeAll(async () => {
    // Ada uploads her avatar while in her own organization, then also joins Grace's.
    const row = await saveImage(ctxFor(t, ada), multipartFile(await png(300, 300), 'me.png', 'image/png'), { ...opts, purpose: 'avatar' })
    avatarId = row.id
    adaInGraceOrg = { ...ada, organization: grace.organization, role: 'agent' }
    await t.platform.db.owner.insertInto('memberships').values({ org_id: grace.organization.id, user_id: ada.user.id, role: 'agent' }).execute()
  })

  it('are visible to their user and to co-members in any shared organization, to nobody else', async () => {
    expect(await inTx(t, adaInGraceOrg, (ctx) => fileUrl(ctx, avatarId))).toMatch(/^http/)
    expect(await inTx(t, graceColleague, (ctx) => fileUrl(ctx, avatarId))).toMatch(/^http/)
    await expect(inTx(t, stranger, (ctx) => fileUrl(ctx, avatarId))).rejects.toMatchObject({ status: 404 })
    // Only avatars travel: Ada's logo-purpose image stays in her organization.
    const logo = await saveImage(ctxFor(t, ada), multipartFile(await png(), 'logo.png', 'image/png'), opts)
    await expect(inTx(t, graceColleague, (ctx) => fileUrl(ctx, logo.id))).rejects.toMatchObject({ status: 404 })
  })

  it('cannot be deleted by co-members, but can be by their user from another organization', async () => {
    await expect(inTx(t, graceColleague, (ctx) => deleteFile(ctx, avatarId))).rejects.toMatchObject({ status: 404 })
    await inTx(t, adaInGraceOrg, (ctx) => deleteFile(ctx, avatarId))
    await expect(inTx(t, ada, (ctx) => fileUrl(ctx, avatarId))).rejects.toMatchObject({ status: 404 })
  })

  it('signs a URL from a row without a query, with the lifetime asked for', async () => {
    const row = await saveImage(ctxFor(t, ada), multipartFile(await png(), 'x.png', 'image/png'), opts)
    const url = new URL(await fileUrl(ctxFor(t, ada), row, 30))
    const expires = Number(url.searchParams.get('e'))
    expect(expires - Date.now() / 1000).toBeGreaterThan(25)
    expect(expires - Date.now() / 1000).toBeLessThanOrEqual(30)
  })
})
