// HTTP surface of the files module (seed 004: POST /files/upload, GET /files/:id, DELETE /files/:id),
// plus the public download route that serves signed URLs when files live on the local disk.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type, type Static } from 'typebox'
import { ValidationError } from '../../platform/errors.js'
import { errorResponses, IdParams, Obj } from '../../platform/http/schemas.js'
import type { Platform } from '../../platform/platform.js'
import { contentDisposition, LocalStorage } from '../../platform/storage/index.js'
import { largestUpload, uploadLimits } from './limits.js'
import { filePart, multipartBody, multipartValidator, textField } from './multipart.js'
import { FileWithUrlSchema } from './schemas.js'
import { getFile, RESERVED_PURPOSES, removeFile, withUrl } from './service.js'
import { saveUpload } from './upload.js'

const tags = ['Files']

const DownloadQuery = Obj({
  k: Type.String({ maxLength: 512, description: 'Storage key' }),
  e: Type.String({ pattern: '^[0-9]{1,12}$', description: 'Expiry, Unix seconds' }),
  n: Type.Optional(Type.String({ maxLength: 255, description: 'File name' })),
  t: Type.Optional(Type.String({ maxLength: 255, description: 'Content type' })),
  d: Type.Optional(Type.Literal('1', { description: 'Download as an attachment' })),
  s: Type.String({ maxLength: 128, description: 'Signature' }),
})

/** An inclusive byte range from a `Range: bytes=a-b` header; null to serve the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return null
  // Unsatisfiable or odd ranges are ignored (RFC 9110 lets a server answer with the whole file).
  if (m[1] === '') {
    const suffix = Number(m[2])
    return suffix > 0 ? { start: Math.max(0, size - suffix), end: size - 1 } : null
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  return start <= end && start < size ? { start, end } : null
}

export const fileRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const limits = uploadLimits(platform.config)
    const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`

    app.post(
      '/files/upload',
      {
        config: { permission: 'files:write', transaction: false },
        validatorCompiler: multipartValidator,
        schema: {
          tags,
          summary: 'Upload a file',
          description:
            `Multipart upload of one \`file\` part (and an optional \`purpose\` field before it; default \`attachment\`). ` +
            `The type is detected from the bytes: images (${mb(limits.image)}), video (${mb(limits.video)}), ` +
            `audio (${mb(limits.audio)}) and documents — PDF, office files, plain text (${mb(limits.document)}). ` +
            'Anything else is refused with 415, a file over its limit with 413.',
          ...multipartBody('The file', {
            purpose: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,39}$', default: 'attachment', examples: ['attachment'] })),
          }),
          response: { 201: FileWithUrlSchema, ...errorResponses(400, 413, 415) },
        },
      },
      async (request, reply) => {
        const part = await filePart(request, largestUpload(platform.config))
        const purpose = textField(part.fields, 'purpose') ?? 'attachment'
        if (RESERVED_PURPOSES.has(purpose)) throw ValidationError.field('purpose', `${purpose} images are uploaded through their own route`)
        const row = await saveUpload(request.ctx, part, { purpose, maxBytes: limits })
        void reply.code(201)
        return withUrl(request.ctx, row)
      },
    )

    app.get(
      '/files/:id',
      {
        config: { permission: 'files:read' },
        schema: {
          tags,
          summary: 'File metadata with a short-lived signed download URL',
          params: IdParams,
          response: { 200: FileWithUrlSchema, ...errorResponses(400, 404) },
        },
      },
      async (request) => getFile(request.ctx, request.params.id),
    )

    app.delete(
      '/files/:id',
      {
        config: { permission: 'files:write' },
        schema: {
          tags,
          summary: 'Delete a file',
          description: 'Your own uploads with `files:write`; anyone’s with `files:manage`. Avatars and logos are removed through their own routes (422).',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        await removeFile(request.ctx, request.params.id)
        void reply.code(204)
        return null
      },
    )

    const storage = platform.storage
    if (!(storage instanceof LocalStorage)) return
    // On the plain instance: the reply is a byte stream, which the typed provider would want to be a string.
    fastify.get<{ Querystring: Static<typeof DownloadQuery> }>(
      '/files/download',
      {
        config: { auth: 'none' },
        schema: {
          tags,
          summary: 'Download through a signed URL (local storage only; S3 URLs go to the bucket)',
          description: 'The URL comes from the API (`url` of a file) and expires; altered or expired links answer 403. Supports single byte ranges.',
          querystring: DownloadQuery,
          produces: ['application/octet-stream'],
          response: {
            200: Type.String({ format: 'binary', description: 'The file' }),
            206: Type.String({ format: 'binary', description: 'Part of the file' }),
            ...errorResponses(400, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const grant = storage.signer.verify(request.query)
        const size = await storage.size(grant.key)
        const range = parseRange(request.headers.range, size)
        const { stream } = await storage.open(grant.key, range ?? undefined)
        void reply.headers({
          'content-type': grant.contentType ?? 'application/octet-stream',
          'content-disposition': contentDisposition(grant.download, grant.fileName),
          'content-length': String(range ? range.end - range.start + 1 : size),
          'accept-ranges': 'bytes',
          'cache-control': `private, max-age=${Math.max(0, grant.expires - Math.floor(Date.now() / 1000))}`,
          // The link is the credential; let pages on other origins (the web app) embed it.
          'cross-origin-resource-policy': 'cross-origin',
          ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
        })
        void reply.code(range ? 206 : 200)
        return reply.send(stream)
      },
    )
  }
