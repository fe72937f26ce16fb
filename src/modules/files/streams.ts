// Stream plumbing for uploads: look at the first bytes without losing them, and count and hash the
// bytes on their way to storage, failing the moment a limit is passed (nothing is buffered whole).
import { createHash, type Hash } from 'node:crypto'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import type { PayloadTooLargeError } from '../../platform/errors.js'
import { asUploadError } from './multipart.js'

export interface Peeked {
  head: Buffer
  /** The whole stream again, head included. */
  stream: Readable
}

/** Reads at least `bytes` (or everything, if shorter) and hands back a stream that replays them first. */
export async function peek(source: Readable, bytes: number): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const chunks: Buffer[] = []
  let length = 0
  let done = false
  // Errors of the source are the client's (a body cut short, broken multipart): see asUploadError.
  const next = () => it.next().catch((err: unknown) => Promise.reject(asUploadError(err)))
  while (length < bytes) {
    const r = await next()
    if (r.done) {
      done = true
      break
    }
    chunks.push(r.value)
    length += r.value.length
  }
  const head = Buffer.concat(chunks)
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head
    if (done) return
    for (;;) {
      const r = await next()
      if (r.done) return
      yield r.value
    }
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) }
}

/** Passes bytes through while counting and hashing them; errors with 413 past `maxBytes`. */
export class Meter extends Transform {
  bytes = 0
  private readonly hash: Hash = createHash('sha256')
  private digest: string | null = null

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: () => PayloadTooLargeError,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      done(this.tooLarge())
      return
    }
    this.hash.update(chunk)
    done(null, chunk)
  }

  /** Hex SHA-256 of everything that passed; call once the stream has ended. */
  sha256(): string {
    return (this.digest ??= this.hash.digest('hex'))
  }
}

/** Reads a whole stream into memory, refusing more than `maxBytes` (used for images, which are small). */
export async function readLimited(source: Readable, maxBytes: number, tooLarge: () => PayloadTooLargeError): Promise<Buffer> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of source) {
    const buf = chunk as Buffer
    length += buf.length
    if (length > maxBytes) throw tooLarge()
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

export const megabytes = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`
