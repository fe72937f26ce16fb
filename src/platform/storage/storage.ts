// One interface for file bytes, with a local-disk driver (the default, under $DATA_DIR/files) and an
// S3-compatible one. Services only ever hold keys; clients only ever get short-lived signed URLs.
import type { Readable } from 'node:stream'

export interface PutOptions {
  contentType: string
  /** Byte length of a streamed body, when known (lets S3 take it in one request). */
  contentLength?: number
}

export interface SignedUrlOptions {
  ttlSeconds: number
  /** Name offered to the browser (Content-Disposition). */
  fileName?: string
  /** Content-Type the download is served with. */
  contentType?: string
  /** true: `attachment` (save as); default `inline` (shown in the page, e.g. an <img>). */
  download?: boolean
}

export interface Storage {
  readonly driver: 'local' | 's3'
  /** Writes the object whole or not at all (no partial object survives a failed stream). */
  put(key: string, body: Buffer | Readable, opts: PutOptions): Promise<void>
  /** The object's bytes; NotFoundError when absent. */
  get(key: string): Promise<Readable>
  /** Removes the object; absent is fine. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /** A URL anyone holding it may GET until it expires. */
  signedUrl(key: string, opts: SignedUrlOptions): Promise<string>
}

// Keys are built by services (org/<uuid>/<uuid>), never taken from clients; still, refuse anything that
// could climb out of the local root or confuse an S3 path.
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/

export function assertKey(key: string): void {
  if (key.length > 512 || !KEY_RE.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`Invalid storage key: ${JSON.stringify(key)}`)
  }
}

/** `inline; filename="a.png"; filename*=UTF-8''a.png`, safe for any file name. */
export function contentDisposition(download: boolean, fileName?: string): string {
  const kind = download ? 'attachment' : 'inline'
  if (!fileName) return kind
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
