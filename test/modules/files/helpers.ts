// Shared by the files tests: multipart bodies built by hand, sample files whose bytes are what they
// claim (or deliberately not), and a request context for calling the module's functions directly.
import type { MultipartFile } from '@fastify/multipart'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { permissionsOf, type Role } from '../../../src/platform/auth/permissions.js'
import type { Ctx } from '../../../src/platform/context.js'
import type { Executor } from '../../../src/platform/db/database.js'
import type { TestApp } from '../../support/app.js'
import type { SignedUp } from '../../support/factories.js'

export interface Part {
  name: string
  data: Buffer | string
  filename?: string
  contentType?: string
}

/** A multipart/form-data payload and its headers for `t.request`. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----luminous${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`
    if (p.filename !== undefined) head += `; filename="${p.filename}"`
    head += '\r\n'
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** POST /api/v1/files/upload with one file (and optional fields sent before it). */
export function upload(t: TestApp, token: string | undefined, file: Omit<Part, 'name'> & { name?: string }, fields: Record<string, string> = {}) {
  const body = multipart([
    ...Object.entries(fields).map(([name, data]) => ({ name, data })),
    { name: file.name ?? 'file', data: file.data, filename: file.filename ?? 'upload.bin', ...(file.contentType ? { contentType: file.contentType } : {}) },
  ])
  return t.request({ method: 'POST', url: '/api/v1/files/upload', token, payload: body.payload, headers: body.headers })
}

export const png = (width = 64, height = 48) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer()

export const jpeg = (width = 64, height = 48) =>
  sharp({ create: { width, height, channels: 3, background: { r: 20, g: 140, b: 90 } } }).jpeg().toBuffer()

export const pdf = (padding = 0) => Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), Buffer.alloc(padding, 0x20), Buffer.from('\n%%EOF\n')])

/** The first bytes of an MP4 (an ftyp box), padded. */
export const mp4 = (size = 2048) => {
  const b = Buffer.alloc(size)
  Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex').copy(b)
  return b
}

/** A Windows executable: what a spoofed "photo.png" really is. */
export const exe = () => {
  const b = Buffer.alloc(1024)
  b.write('MZ', 0, 'latin1')
  b.writeUInt32LE(0x80, 0x3c)
  b.write('PE\0\0', 0x80, 'latin1')
  return b
}

/** A MultipartFile as @fastify/multipart hands it over, for calling saveImage/saveUpload directly. */
export function multipartFile(data: Buffer, filename = 'photo.jpg', mimetype = 'image/jpeg'): MultipartFile {
  const stream = Object.assign(Readable.from([data]), { truncated: false, bytesRead: data.length })
  return {
    type: 'file',
    fieldname: 'file',
    filename,
    encoding: '7bit',
    mimetype,
    file: stream,
    fields: {},
    toBuffer: async () => data,
  } as unknown as MultipartFile
}

/** A request context for `who` acting in their current organization. */
export function ctxFor(t: TestApp, who: Pick<SignedUp, 'user' | 'organization' | 'role'>, db?: Executor): Ctx {
  const noDb = new Proxy({} as Executor, {
    get() {
      throw new Error('no transaction: use inTx')
    },
  })
  return {
    platform: t.platform,
    log: t.platform.log,
    requestId: `test-${randomBytes(4).toString('hex')}`,
    ip: '127.0.0.1',
    userAgent: 'vitest',
    orgId: who.organization.id,
    userId: who.user.id,
    sessionId: null,
    actor: { type: 'user', id: who.user.id },
    role: who.role,
    permissions: permissionsOf(who.role as Role),
    db: db ?? noDb,
  }
}

/** Runs `fn` with a context whose `db` is a tenant transaction of `who`. */
export function inTx<T>(t: TestApp, who: Pick<SignedUp, 'user' | 'organization' | 'role'>, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  return t.platform.db.tenant({ orgId: who.organization.id, userId: who.user.id }, (db) => fn(ctxFor(t, who, db)))
}

/** A download through a signed URL: the local driver's URLs point at this app, so they go through inject. */
export async function download(t: TestApp, url: string, headers: Record<string, string> = {}) {
  const u = new URL(url)
  return t.request({ method: 'GET', url: `${u.pathname}${u.search}`, headers })
}
