// Route pieces for multipart uploads, shared with the modules that take images (avatar, logo).
// Multipart bodies are read as streams by the handler, so Fastify has no body to validate: the body
// schema is there for the OpenAPI document, and `multipartValidator` tells Fastify not to check it.
import type { Multipart, MultipartFields, MultipartFile } from '@fastify/multipart'
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { AppError, ValidationError } from '../../platform/errors.js'

/** `consumes` and the documented body of a multipart route: one `file` part plus optional text fields. */
export function multipartBody(fileDescription: string, fields: Record<string, TSchema> = {}) {
  return {
    consumes: ['multipart/form-data'],
    body: Type.Object(
      { ...fields, file: Type.String({ format: 'binary', description: fileDescription }) },
      { description: 'multipart/form-data; put text fields before the file part' },
    ),
  }
}

/** Use as the route's `validatorCompiler`; multipart routes take no params or query string. */
export const multipartValidator: FastifySchemaCompiler<unknown> = ({ httpPart, url }) => {
  if (httpPart !== 'body') throw new Error(`Multipart route ${url} must not declare a ${httpPart ?? 'non-body'} schema`)
  return () => true
}

/** The value of a text field sent before the file part, if any. */
export function textField(fields: MultipartFields, name: string): string | undefined {
  const raw: Multipart | Multipart[] | undefined = fields[name]
  const part = Array.isArray(raw) ? raw[0] : raw
  if (!part) return undefined
  if (part.type !== 'field' || typeof part.value !== 'string') throw ValidationError.field(name, 'must be a text field')
  return part.value
}

/**
 * A broken multipart body (no boundary, cut short, not multipart at all) is the client's error, not
 * ours: 400. Our own errors and the multipart plugin's (size and count limits, mapped by the error
 * handler) pass through.
 */
export function asUploadError(err: unknown): unknown {
  if (err instanceof AppError) return err
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.startsWith('FST_')) return err
  return ValidationError.field('file', 'the multipart body is malformed or ended early')
}

/**
 * The `file` part of a multipart request (400 when absent or misnamed). Text fields sent before it
 * are in `part.fields` (read them with `textField`). `maxBytes` is the parser's hard limit; the
 * save functions apply their own.
 */
export async function filePart(request: FastifyRequest, maxBytes: number): Promise<MultipartFile> {
  let part: MultipartFile | undefined
  try {
    part = await request.file({ limits: { fileSize: maxBytes + 1, files: 1, fields: 5, fieldSize: 1024 } })
  } catch (err) {
    throw asUploadError(err)
  }
  if (!part) throw ValidationError.field('file', 'is required')
  if (part.fieldname !== 'file') throw ValidationError.field(part.fieldname, 'is not a known field; send the file as `file`')
  return part
}
