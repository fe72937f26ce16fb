// Route pieces for multipart uploads, shared with the modules that take images (avatar, logo).
// Multipart bodies are read as streams by the handler, so Fastify has no body to validate: the body
// schema is there for the OpenAPI document, and `multipartValidator` tells Fastify not to check it.
import type { Multipart, MultipartFields } from '@fastify/multipart'
import type { FastifySchemaCompiler } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { ValidationError } from '../../platform/errors.js'

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
