// For POST actions that take no input (resend, add to team). Clients may send no body or `{}`; any
// field is a 400. Fastify validates a missing body as `undefined`, which no object schema accepts, so
// the body is defaulted to `{}` before validation.
import type { FastifyRequest } from 'fastify'
import { Obj } from '../../../platform/http/schemas.js'

export const EmptyBody = Obj({}, { description: 'No input: send no body or an empty object' })

export async function defaultEmptyBody(request: FastifyRequest): Promise<void> {
  request.body ??= {}
}
