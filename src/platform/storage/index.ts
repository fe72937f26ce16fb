// Picks the storage driver from config: S3 when configured, else the local disk under $DATA_DIR/files.
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { Config } from '../../config.js'
import { LocalStorage } from './local.js'
import { UrlSigner } from './signed-url.js'
import type { PutOptions, SignedUrlOptions, Storage } from './storage.js'

export { LocalStorage } from './local.js'
export { DOWNLOAD_PATH, UrlSigner, type DownloadGrant, type DownloadQuery } from './signed-url.js'
export { contentDisposition, type PutOptions, type SignedUrlOptions, type Storage } from './storage.js'

type StorageConfig = Pick<
  Config,
  | 'STORAGE_DRIVER'
  | 'DATA_DIR'
  | 'PUBLIC_URL'
  | 'ENCRYPTION_KEY'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ENDPOINT'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
>

// The AWS SDK costs ~170 ms and ~25 MB to load; a node on local storage never pays for it.
class DeferredStorage implements Storage {
  private loaded: Promise<Storage> | null = null
  constructor(
    readonly driver: Storage['driver'],
    private readonly load: () => Promise<Storage>,
  ) {}
  private get inner(): Promise<Storage> {
    return (this.loaded ??= this.load())
  }
  async put(key: string, body: Buffer | Readable, opts: PutOptions) {
    return (await this.inner).put(key, body, opts)
  }
  async get(key: string) {
    return (await this.inner).get(key)
  }
  async delete(key: string) {
    return (await this.inner).delete(key)
  }
  async exists(key: string) {
    return (await this.inner).exists(key)
  }
  async signedUrl(key: string, opts: SignedUrlOptions) {
    return (await this.inner).signedUrl(key, opts)
  }
}

export function createStorage(config: StorageConfig): Storage {
  if (config.STORAGE_DRIVER === 's3') {
    const bucket = config.S3_BUCKET
    if (!bucket) throw new Error('STORAGE_DRIVER=s3 needs S3_BUCKET')
    return new DeferredStorage('s3', async () => {
      const { S3Storage } = await import('./s3.js')
      return new S3Storage({
        bucket,
        region: config.S3_REGION,
        forcePathStyle: config.S3_FORCE_PATH_STYLE,
        ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
        ...(config.S3_ACCESS_KEY_ID ? { accessKeyId: config.S3_ACCESS_KEY_ID } : {}),
        ...(config.S3_SECRET_ACCESS_KEY ? { secretAccessKey: config.S3_SECRET_ACCESS_KEY } : {}),
      })
    })
  }
  return new LocalStorage(path.resolve(config.DATA_DIR, 'files'), new UrlSigner(config.ENCRYPTION_KEY, config.PUBLIC_URL))
}
