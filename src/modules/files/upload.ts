// Taking an upload in: decide what it is from its first bytes, stream it to storage while counting and
// hashing, then record it in a short transaction of its own (upload routes hold no transaction while
// the bytes arrive). A refused upload leaves nothing in storage or in the database.
import type { MultipartFile } from '@fastify/multipart'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type * as SharpModule from 'sharp'
import { pipeline, type Readable } from 'node:stream'
import { audit } from '../../platform/audit.js'
import type { Ctx } from '../../platform/context.js'
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import { DECODABLE_IMAGES, detect, DETECTION_BYTES, type Detected } from './kinds.js'
import { insertFile } from './queries.js'
import { megabytes, Meter, peek, readLimited } from './streams.js'
import type { FileKind, FileRow } from './tables.js'

export interface UploadOptions {
  /** What the file is for: `attachment`, `avatar`, `logo`, ... (lower-case, stored with the file). */
  purpose: string
  /** Largest size in bytes, overall or per kind (a kind without a limit is refused). */
  maxBytes: number | Partial<Record<FileKind, number>>
  /** Kinds accepted; default all. */
  allowedKinds?: readonly FileKind[]
}

export interface ImageOptions {
  purpose: string
  maxBytes: number
  /** The stored image is scaled down (never up) to fit inside these, keeping its aspect ratio. */
  maxWidth: number
  maxHeight: number
  /** Largest image, in pixels, that is decoded at all (default 40 megapixels). */
  maxInputPixels?: number
}

const PURPOSE_RE = /^[a-z][a-z0-9_-]{0,39}$/
/** Decoding more pixels than this is refused: a small file can expand into gigabytes (a decompression bomb). */
const MAX_IMAGE_PIXELS = 40_000_000
const KIND_NAMES: Record<FileKind, string> = { image: 'Images', video: 'Videos', audio: 'Audio files', document: 'Documents' }
const EXT_ALIASES: Record<string, string[]> = { jpg: ['jpeg', 'jpe'], tif: ['tiff'], txt: ['csv', 'tsv', 'log', 'md', 'json', 'xml'] }

let sharpModule: Promise<typeof SharpModule> | null = null
// sharp costs ~190 ms and ~20 MB to load; only processes that handle images pay for it.
const loadSharp = async () => (await (sharpModule ??= import('sharp'))).default

const storageKey = (orgId: string, id: string) => `org/${orgId}/${id}`

/** A display name from the client's: no path, no control characters, at most 255 characters, with an extension that matches the bytes. */
export function cleanName(given: string | undefined, detected: Pick<Detected, 'ext'>, fallback: string): string {
  let name = [...path.win32.basename(path.posix.basename(given ?? ''))].filter((c) => c >= ' ' && c !== '\x7f').join('').trim()
  if (!name || name === '.' || name === '..') name = fallback
  const ext = path.extname(name).slice(1).toLowerCase()
  if (ext !== detected.ext && !(EXT_ALIASES[detected.ext] ?? []).includes(ext)) name = `${name}.${detected.ext}`
  if (name.length > 255) {
    const suffix = `.${detected.ext}`
    name = name.slice(0, 255 - suffix.length) + suffix
  }
  return name
}

function checkPurpose(purpose: string): void {
  if (!PURPOSE_RE.test(purpose)) throw ValidationError.field('purpose', 'must be lower-case letters, digits, - or _ (at most 40)')
}

async function detectOrRefuse(file: MultipartFile, accepted: (d: Detected) => boolean, refusal: string) {
  const { head, stream } = await peek(file.file, DETECTION_BYTES)
  if (head.length === 0) throw ValidationError.field('file', 'is empty')
  const detected = await detect(head)
  if (!detected || !accepted(detected)) {
    stream.destroy()
    throw new UnsupportedMediaTypeError(detected ? `${refusal} (this file is ${detected.mime})` : refusal)
  }
  return { detected, stream }
}

/** Storage write, then the row; if the row cannot be written the stored object is removed again. */
async function record(ctx: Ctx, row: Omit<FileRow, 'created_at' | 'deleted_at' | 'org_id' | 'owner_id'>): Promise<FileRow> {
  try {
    return await ctx.platform.db.tenant({ orgId: ctx.orgId, userId: ctx.userId }, async (db) => {
      const saved = await insertFile(db, { ...row, org_id: ctx.orgId, owner_id: ctx.userId, deleted_at: null })
      await audit(
        { ...ctx, db },
        { entity: 'file', entityId: saved.id, action: 'created', changes: { name: saved.name, size: saved.size, contentType: saved.content_type, purpose: saved.purpose } },
      )
      return saved
    })
  } catch (err) {
    await ctx.platform.storage.delete(row.storage_key).catch(() => {})
    throw err
  }
}

/**
 * Stores an uploaded file as it is. Its type comes from its bytes (415 `unsupported_media_type` when
 * not accepted), its size is checked as it streams (413 `payload_too_large`). Images also get their
 * width and height. Call from a route with `config: { transaction: false }`.
 */
export async function saveUpload(ctx: Ctx, file: MultipartFile, opts: UploadOptions): Promise<FileRow> {
  checkPurpose(opts.purpose)
  const limitFor = (kind: FileKind) => (typeof opts.maxBytes === 'number' ? opts.maxBytes : opts.maxBytes[kind])
  const allowed = (d: Detected) => (opts.allowedKinds ?? ['image', 'video', 'audio', 'document']).includes(d.kind) && limitFor(d.kind) !== undefined
  const { detected, stream } = await detectOrRefuse(file, allowed, 'This type of file is not accepted here')
  const maxBytes = limitFor(detected.kind) ?? 0
  const tooLarge = () => new PayloadTooLargeError(`${KIND_NAMES[detected.kind]} may be at most ${megabytes(maxBytes)}`)
  const id = newId()
  const key = storageKey(ctx.orgId, id)
  const { storage } = ctx.platform

  let size: number
  let sha256: string
  let width: number | null = null
  let height: number | null = null
  if (detected.kind === 'image') {
    // Images are small enough to hold whole, and their dimensions need the whole file for some formats.
    const body = await readLimited(stream, maxBytes, tooLarge)
    if (DECODABLE_IMAGES.has(detected.mime)) {
      const sharp = await loadSharp()
      const meta = await sharp(body, { limitInputPixels: false }).metadata().catch(() => null)
      width = meta?.width ?? null
      height = meta?.height ?? null
    }
    size = body.length
    sha256 = createHash('sha256').update(body).digest('hex')
    await storage.put(key, body, { contentType: detected.mime })
  } else {
    const meter = new Meter(maxBytes, tooLarge)
    const metered = pipeline(stream, meter, () => {})
    await storage.put(key, metered as Readable, { contentType: detected.mime })
    size = meter.bytes
    sha256 = meter.sha256()
  }
  if (file.file.truncated) {
    await storage.delete(key)
    throw tooLarge()
  }
  return record(ctx, {
    id,
    purpose: opts.purpose,
    name: cleanName(file.filename, detected, opts.purpose),
    size,
    content_type: detected.mime,
    kind: detected.kind,
    sha256,
    storage_key: key,
    width,
    height,
  })
}

/**
 * Stores an uploaded image as WebP: checked to be an image by its bytes (415 otherwise), at most
 * `maxBytes` (413), rotated upright, scaled to fit `maxWidth` x `maxHeight`, with its metadata (EXIF,
 * GPS position, camera) stripped. Call from a route with `config: { transaction: false }`.
 */
export async function saveImage(ctx: Ctx, file: MultipartFile, opts: ImageOptions): Promise<FileRow> {
  checkPurpose(opts.purpose)
  const { stream } = await detectOrRefuse(file, (d) => DECODABLE_IMAGES.has(d.mime), 'Expected a JPEG, PNG, GIF, WebP, AVIF or TIFF image')
  const tooLarge = () => new PayloadTooLargeError(`Images may be at most ${megabytes(opts.maxBytes)}`)
  const input = await readLimited(stream, opts.maxBytes, tooLarge)
  if (file.file.truncated) throw tooLarge()

  const sharp = await loadSharp()
  const maxPixels = opts.maxInputPixels ?? MAX_IMAGE_PIXELS
  let output: { data: Buffer; info: { width: number; height: number } }
  try {
    output = await sharp(input, { limitInputPixels: maxPixels })
      .rotate()
      .resize({ width: opts.maxWidth, height: opts.maxHeight, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 82 })
      .toBuffer({ resolveWithObject: true })
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw new PayloadTooLargeError(`Images may be at most ${Math.round(maxPixels / 100_000) / 10} megapixels`)
    }
    throw new UnsupportedMediaTypeError('The image could not be read; it may be damaged')
  }
  const id = newId()
  const key = storageKey(ctx.orgId, id)
  await ctx.platform.storage.put(key, output.data, { contentType: 'image/webp' })
  return record(ctx, {
    id,
    purpose: opts.purpose,
    name: cleanName(file.filename.replace(/\.[A-Za-z0-9]{1,5}$/, ''), { ext: 'webp' }, opts.purpose),
    size: output.data.length,
    content_type: 'image/webp',
    kind: 'image',
    sha256: createHash('sha256').update(output.data).digest('hex'),
    storage_key: key,
    width: output.info.width,
    height: output.info.height,
  })
}
