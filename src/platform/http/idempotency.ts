// Idempotency keys (API-CONVENTIONS "Writes"). A route that creates something or moves money or
// messages says `config: { idempotent: true }`; a client may then send `Idempotency-Key: <key>` and
// retry safely. The first response (status and body) is stored in the request's own transaction — a
// request that fails stores nothing, so its retry runs afresh — and replayed for 24 hours with
// `Idempotent-Replayed: true`. The same key with another body (or path) is a 422; a retry that arrives
// while the first is still running is a 409.
//
// "Still running" is a transaction-scoped advisory lock on the key: the first request holds it until
// it commits or rolls back, and a duplicate that cannot take it at once answers 409 instead of queuing
// behind it on the primary key.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Executor } from '../db/database.js'
import { ConflictError, StateError, ValidationError } from '../errors.js'
import type { JobQueue } from '../jobs/queue.js'

export const IDEMPOTENCY_HEADER = 'idempotency-key'
export const REPLAYED_HEADER = 'idempotent-replayed'
export const IDEMPOTENCY_TTL_HOURS = 24
const KEY_RE = /^[\x21-\x7e]{1,255}$/

/** Documents the header on idempotent routes (merged into the route's header schema). */
export const IdempotencyHeaders = {
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: `Makes the request safe to retry: the first response to a key is replayed for ${IDEMPOTENCY_TTL_HOURS} h.`,
      examples: ['7f1c2f9e-order-42'],
    }),
  ),
}

/** JSON with object keys sorted, so that the same body in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${url}\n${canonical(body)}`).digest('hex')
}

interface StoredResponse {
  request_hash: string
  status: number | null
  response: unknown
}

/**
 * Wraps a route handler that runs inside the guard's request transaction (`request.ctx.db`). The guard
 * applies it to routes with `config.idempotent`.
 */
export function withIdempotency(handler: RouteHandlerMethod): RouteHandlerMethod {
  return async function idempotent(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers[IDEMPOTENCY_HEADER]
    if (header === undefined) return handler.call(this, request, reply)
    if (typeof header !== 'string' || !KEY_RE.test(header)) {
      throw ValidationError.field(IDEMPOTENCY_HEADER, 'must be 1 to 255 printable ASCII characters, sent once')
    }
    const { db, actor } = request.ctx
    const principal = `${actor.type}:${actor.id ?? ''}`
    const url = request.url
    const path = url.split('?')[0] ?? url
    const hash = requestHash(request.method, url, request.body)

    const { rows: lock } = await sql<{ locked: boolean }>`
      SELECT pg_try_advisory_xact_lock(hashtextextended(${`idem:${request.ctx.orgId}:${principal}:${header}`}, 0)) AS locked`.execute(db)
    if (!lock[0]?.locked) {
      throw new ConflictError('A request with this Idempotency-Key is still being processed; retry when it has finished')
    }
    const { rows } = await sql<StoredResponse & { fresh: boolean }>`
      SELECT request_hash, status, response, created_at > now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}) AS fresh
      FROM idempotency_keys WHERE principal = ${principal} AND key = ${header}`.execute(db)
    const stored = rows[0]
    if (stored?.fresh) {
      if (stored.request_hash !== hash) {
        throw new StateError(
          'This Idempotency-Key was already used for a different request; use a new key for a new request',
          'idempotency_key_reused',
        )
      }
      void reply.header(REPLAYED_HEADER, 'true')
      void reply.status(stored.status ?? 200)
      return stored.response
    }

    const result: unknown = await handler.call(this, request, reply)
    if (reply.sent) return result
    // What the client will read: JSON (Dates as ISO strings), so the replay serializes identically.
    const body = result === undefined ? null : (JSON.parse(JSON.stringify(result) ?? 'null') as unknown)
    await storeResponse(db, { orgId: request.ctx.orgId, principal, key: header, method: request.method, path, hash, status: reply.statusCode, body })
    return result
  }
}

async function storeResponse(
  db: Executor,
  r: { orgId: string; principal: string; key: string; method: string; path: string; hash: string; status: number; body: unknown },
): Promise<void> {
  // An expired row under the same key is overwritten: the key starts a new 24-hour life.
  await sql`
    INSERT INTO idempotency_keys (org_id, principal, key, method, path, request_hash, status, response)
    VALUES (${r.orgId}, ${r.principal}, ${r.key}, ${r.method}, ${r.path}, ${r.hash}, ${r.status}, ${JSON.stringify(r.body)}::jsonb)
    ON CONFLICT (org_id, principal, key) DO UPDATE SET
      method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
      status = excluded.status, response = excluded.response, created_at = now()`.execute(db)
}

// ---------------------------------------------------------------------------------------------------
// Cleanup: an hourly job drops expired keys. It reschedules itself under one job key, so however many
// nodes start, one run is pending at a time.

export const CLEANUP_TASK = 'platform.idempotency_cleanup'
const CLEANUP_EVERY_MS = 60 * 60 * 1000

/** Deletes keys past their 24 hours. Runs as the owner: expired keys of every organization. */
export async function deleteExpiredIdempotencyKeys(owner: Executor): Promise<number> {
  const result = await sql`DELETE FROM idempotency_keys
    WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`.execute(owner)
  return Number(result.numAffectedRows ?? 0n)
}

export function registerIdempotencyCleanup(jobs: JobQueue, owner: Executor): void {
  jobs.register(CLEANUP_TASK, async () => {
    await deleteExpiredIdempotencyKeys(owner)
    await jobs.enqueue(owner, CLEANUP_TASK, {}, { jobKey: CLEANUP_TASK, jobKeyMode: 'replace', runAt: new Date(Date.now() + CLEANUP_EVERY_MS) })
  })
}

/** Makes sure a cleanup run is pending (at start-up); an already scheduled run keeps its time. */
export async function scheduleIdempotencyCleanup(jobs: JobQueue, owner: Executor): Promise<void> {
  await jobs.enqueue(owner, CLEANUP_TASK, {}, { jobKey: CLEANUP_TASK, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + 60_000) })
}
