// Objects in an S3-compatible bucket (AWS, MinIO, R2, ...). Downloads are presigned GET URLs, so the
// bytes never pass through Luminous. Streams of unknown length go up as a multipart upload.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { Readable } from 'node:stream'
import { NotFoundError } from '../errors.js'
import { assertKey, contentDisposition, type PutOptions, type SignedUrlOptions, type Storage } from './storage.js'

export interface S3Options {
  bucket: string
  region: string
  endpoint?: string
  accessKeyId?: string
  secretAccessKey?: string
  forcePathStyle: boolean
}

/** S3's smallest part but the last; parts are buffered one at a time. */
const PART_SIZE = 8 * 1024 * 1024

const isMissing = (err: unknown) =>
  err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)

/** Yields the stream re-cut into chunks of exactly `size` bytes (the last may be shorter). */
async function* chunks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let length = 0
  for await (const data of stream) {
    let buf = Buffer.isBuffer(data) ? data : Buffer.from(data as string)
    while (length + buf.length >= size) {
      const take = size - length
      parts.push(buf.subarray(0, take))
      yield Buffer.concat(parts)
      parts = []
      length = 0
      buf = buf.subarray(take)
    }
    if (buf.length > 0) {
      parts.push(buf)
      length += buf.length
    }
  }
  if (length > 0) yield Buffer.concat(parts)
}

export class S3Storage implements Storage {
  readonly driver = 's3' as const
  readonly client: S3Client
  private readonly bucket: string

  constructor(opts: S3Options) {
    this.bucket = opts.bucket
    this.client = new S3Client({
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.accessKeyId && opts.secretAccessKey
        ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
        : {}),
      // Many S3-compatible servers reject the SDK's default CRC32 trailers; we keep our own SHA-256.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
  }

  async put(key: string, body: Buffer | Readable, opts: PutOptions): Promise<void> {
    assertKey(key)
    if (Buffer.isBuffer(body)) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: opts.contentType }))
      return
    }
    if (opts.contentLength !== undefined) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: opts.contentType, ContentLength: opts.contentLength }),
      )
      return
    }
    await this.putStream(key, body, opts.contentType)
  }

  private async putStream(key: string, body: Readable, contentType: string): Promise<void> {
    const iterator = chunks(body, PART_SIZE)
    const first = await iterator.next()
    const firstChunk = first.done ? Buffer.alloc(0) : first.value
    // Small bodies (the common case) need no multipart upload.
    if (firstChunk.length < PART_SIZE) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: firstChunk, ContentType: contentType }))
      return
    }
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))
    if (!UploadId) throw new Error('S3 did not start a multipart upload')
    const parts: { ETag: string; PartNumber: number }[] = []
    try {
      let chunk: Buffer | undefined = firstChunk
      while (chunk) {
        const PartNumber = parts.length + 1
        const { ETag } = await this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber, Body: chunk }),
        )
        if (!ETag) throw new Error(`S3 returned no ETag for part ${PartNumber}`)
        parts.push({ ETag, PartNumber })
        const next: IteratorResult<Buffer> = await iterator.next()
        chunk = next.done ? undefined : next.value
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
      )
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId })).catch(() => {})
      throw err
    }
  }

  async get(key: string): Promise<Readable> {
    assertKey(key)
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      if (!(res.Body instanceof Readable)) throw new Error('S3 returned no body stream')
      return res.Body
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError('File')
      throw err
    }
  }

  async delete(key: string): Promise<void> {
    assertKey(key)
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  async exists(key: string): Promise<boolean> {
    assertKey(key)
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return true
    } catch (err) {
      if (isMissing(err)) return false
      throw err
    }
  }

  async signedUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    assertKey(key)
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: contentDisposition(opts.download ?? false, opts.fileName),
      ...(opts.contentType ? { ResponseContentType: opts.contentType } : {}),
    })
    return getSignedUrl(this.client, command, { expiresIn: opts.ttlSeconds })
  }

  close(): void {
    this.client.destroy()
  }
}
