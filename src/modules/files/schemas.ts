import { Type, type Static } from 'typebox'
import { Nullable, Obj, Timestamp, Uuid } from '../../platform/http/schemas.js'
import type { FileRow } from './tables.js'

export const FileKindSchema = Type.Union([Type.Literal('image'), Type.Literal('video'), Type.Literal('audio'), Type.Literal('document')], {
  description: 'What the bytes are, detected on upload',
})

export const FileSchema = Obj(
  {
    id: Uuid,
    name: Type.String({ examples: ['invoice-march.pdf'] }),
    size: Type.Integer({ description: 'Bytes', examples: [48213] }),
    contentType: Type.String({ description: 'Detected from the bytes, not taken from the client', examples: ['application/pdf'] }),
    kind: FileKindSchema,
    purpose: Type.String({ examples: ['attachment'] }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    width: Nullable(Type.Integer({ description: 'Pixels, for images' })),
    height: Nullable(Type.Integer({ description: 'Pixels, for images' })),
    ownerId: Nullable(Uuid),
    createdAt: Timestamp,
  },
  { title: 'File' },
)
export type File = Static<typeof FileSchema>

export const FileWithUrlSchema = Obj(
  {
    ...FileSchema.properties,
    url: Type.String({ format: 'uri', description: 'Short-lived signed download URL' }),
    urlExpiresAt: Timestamp,
  },
  { title: 'FileWithUrl' },
)
export type FileWithUrl = Static<typeof FileWithUrlSchema>

export function toFile(row: FileRow): File {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    contentType: row.content_type,
    kind: row.kind,
    purpose: row.purpose,
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    ownerId: row.owner_id,
    createdAt: row.created_at.toISOString(),
  }
}
