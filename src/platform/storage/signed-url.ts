// Signed download URLs for the local driver: the app itself serves the bytes at a public route, and
// the query string carries what to serve plus an HMAC over it, so a URL can be neither extended nor
// pointed at another file. The key is derived from ENCRYPTION_KEY, apart from every other use of it.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { ForbiddenError } from '../errors.js'

export const DOWNLOAD_PATH = '/api/v1/files/download'

export interface DownloadGrant {
  key: string
  /** Unix seconds. */
  expires: number
  fileName?: string
  contentType?: string
  download: boolean
}

export interface DownloadQuery {
  k: string
  e: string
  n?: string
  t?: string
  d?: string
  s: string
}

export class UrlSigner {
  private readonly secret: Buffer

  constructor(encryptionKey: string, private readonly publicUrl: string) {
    this.secret = Buffer.from(hkdfSync('sha256', encryptionKey, 'luminous', 'luminous signed download urls v1', 32))
  }

  private mac(g: DownloadGrant): Buffer {
    // Length-prefixed fields: no value can be shifted into its neighbour to forge another grant.
    const fields = [g.key, String(g.expires), g.fileName ?? '', g.contentType ?? '', g.download ? '1' : '0']
    const h = createHmac('sha256', this.secret).update('v1')
    for (const f of fields) h.update(`${Buffer.byteLength(f)}:${f}`)
    return h.digest()
  }

  sign(g: DownloadGrant): string {
    const q = new URLSearchParams({ k: g.key, e: String(g.expires) })
    if (g.fileName) q.set('n', g.fileName)
    if (g.contentType) q.set('t', g.contentType)
    if (g.download) q.set('d', '1')
    q.set('s', this.mac(g).toString('base64url'))
    return `${this.publicUrl}${DOWNLOAD_PATH}?${q.toString()}`
  }

  /** The grant a URL carries; ForbiddenError when it was altered or has expired. */
  verify(q: DownloadQuery, now = Date.now()): DownloadGrant {
    const expires = Number(q.e)
    const grant: DownloadGrant = {
      key: q.k,
      expires,
      ...(q.n ? { fileName: q.n } : {}),
      ...(q.t ? { contentType: q.t } : {}),
      download: q.d === '1',
    }
    const given = Buffer.from(q.s, 'base64url')
    const expected = this.mac(grant)
    if (!Number.isSafeInteger(expires) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ForbiddenError('This download link is not valid', 'invalid_signature')
    }
    if (expires * 1000 <= now) throw new ForbiddenError('This download link has expired; ask for a new one', 'link_expired')
    return grant
  }
}
