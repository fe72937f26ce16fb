// Files on the local disk under one root directory. Writes go to a temporary file renamed into place,
// so a reader never sees half an object and a failed upload leaves nothing behind.
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { NotFoundError } from '../errors.js'
import type { UrlSigner } from './signed-url.js'
import { assertKey, type PutOptions, type SignedUrlOptions, type Storage } from './storage.js'

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'ENOENT'

export class LocalStorage implements Storage {
  readonly driver = 'local' as const
  readonly root: string

  constructor(
    root: string,
    /** Signs and verifies the download URLs the app serves for this driver. */
    readonly signer: UrlSigner,
  ) {
    this.root = path.resolve(root)
  }

  private pathOf(key: string): string {
    assertKey(key)
    return path.join(this.root, ...key.split('/'))
  }

  async put(key: string, body: Buffer | Readable, _opts: PutOptions): Promise<void> {
    const target = this.pathOf(key)
    await mkdir(path.dirname(target), { recursive: true })
    const temp = `${target}.${randomBytes(6).toString('hex')}.part`
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(temp, { flags: 'wx' }))
      await rename(temp, target)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
  }

  /**
   * The object's bytes (or the inclusive byte `range` of them) and its whole size, opened before
   * returning so that absence is a NotFoundError rather than a stream error.
   */
  async open(key: string, range?: { start: number; end: number }): Promise<{ stream: Readable; size: number }> {
    const file = this.pathOf(key)
    try {
      const handle = await open(file, 'r')
      const { size } = await handle.stat()
      return { stream: handle.createReadStream(range ? { start: range.start, end: range.end } : {}), size }
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError('File')
      throw err
    }
  }

  /** Size in bytes; NotFoundError when absent. */
  async size(key: string): Promise<number> {
    try {
      return (await stat(this.pathOf(key))).size
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError('File')
      throw err
    }
  }

  async get(key: string): Promise<Readable> {
    return (await this.open(key)).stream
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true })
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile()
    } catch (err) {
      if (isMissing(err)) return false
      throw err
    }
  }

  async signedUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    assertKey(key)
    return this.signer.sign({
      key,
      expires: Math.floor(Date.now() / 1000) + opts.ttlSeconds,
      ...(opts.fileName ? { fileName: opts.fileName } : {}),
      ...(opts.contentType ? { contentType: opts.contentType } : {}),
      download: opts.download ?? false,
    })
  }
}
