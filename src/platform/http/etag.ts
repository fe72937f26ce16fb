// Optimistic concurrency with ETags (API-CONVENTIONS "Writes"): a GET sends `ETag: etagOf(row.version)`,
// the client echoes it in `If-Match` on its PATCH, and the service calls `checkIfMatch(request, etagOf(
// current.version))` with the row it has just read FOR UPDATE: a stale write is a 409 instead of a
// silent lost update. Without If-Match the write goes ahead (clients opt in), unless the route requires it.
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ConflictError, ValidationError } from '../errors.js'

/**
 * A strong ETag for a version number, an `updated_at` (prefer a version: a Date keeps milliseconds
 * only, so two writes in the same millisecond would share a tag) or any opaque string.
 */
export function etagOf(version: number | bigint | string | Date): string {
  const text = version instanceof Date ? version.toISOString() : String(version)
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`
}

/** Sets the ETag header (for GET and write responses). */
export function sendEtag(reply: FastifyReply, etag: string): void {
  void reply.header('etag', etag)
}

const TAG_RE = /^(W\/)?"[\x21\x23-\x7e]*"$/

/** The If-Match header itself, or a request carrying it (services get the header from their route). */
export type IfMatch = string | string[] | undefined | Pick<FastifyRequest, 'headers'>

/** The entity tags of an If-Match header, or null when there is none. */
function ifMatchTags(source: IfMatch): string[] | null {
  const raw = typeof source === 'object' && !Array.isArray(source) ? source.headers['if-match'] : source
  if (raw === undefined) return null
  const header = Array.isArray(raw) ? raw.join(',') : raw
  if (header.trim() === '*') return ['*']
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  if (tags.length === 0 || !tags.every((t) => TAG_RE.test(t))) {
    throw ValidationError.field('if-match', 'must be * or a list of ETags as sent in the ETag header')
  }
  // Compared without the weak marker: proxies that compress responses (nginx) turn our strong tags weak.
  return tags.map((t) => t.replace(/^W\//, ''))
}

/**
 * Refuses a write whose If-Match does not name `currentEtag` (409 version_conflict). With
 * `{ required: true }` a missing If-Match is a 400 too (428 is not in our error taxonomy).
 */
export function checkIfMatch(ifMatch: IfMatch, currentEtag: string, opts: { required?: boolean } = {}): void {
  const tags = ifMatchTags(ifMatch)
  if (tags === null) {
    if (opts.required) throw ValidationError.field('if-match', 'is required: send the ETag you last read')
    return
  }
  if (tags.includes('*') || tags.includes(currentEtag.replace(/^W\//, ''))) return
  throw new ConflictError('It was changed since you read it; fetch it again, reapply your change and retry', 'version_conflict')
}
