// Authentication, authorization and the request transaction, in one place.
//
// Every route is authenticated unless it says `config: { auth: 'none' }`. For an authenticated route
// the handler is wrapped so that, in ONE round trip to PostgreSQL, we BEGIN, set the tenant context
// for row-level security and re-check the caller against the database (session not revoked, still a
// member, the role it has now; or the API key not revoked). Then the declared `permission` is checked,
// the handler runs with `request.ctx.db` bound to that transaction, and we COMMIT before the response
// is sent (ROLLBACK on any error). Handlers must return their result rather than call reply.send().
//
// Routes that stream large bodies (uploads) say `transaction: false`: the check still runs (in the same
// single trip, committed at once) and the service opens its own short transactions.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { Type, type TObject } from 'typebox'
import { isRole, permissionsOf, type Permission, type Role } from '../auth/permissions.js'
import { parseApiKey } from '../auth/tokens.js'
import type { Ctx, PublicCtx } from '../context.js'
import type { Executor, Prelude } from '../db/database.js'
import { ForbiddenError, UnauthenticatedError } from '../errors.js'
import type { Platform } from '../platform.js'
import { IdempotencyHeaders, withIdempotency } from './idempotency.js'

export interface RouteAuthConfig {
  /** 'none': public route. Default: authenticated. */
  auth?: 'none'
  permission?: Permission
  /** false: do not hold a transaction for the handler (uploads, streams). Default true. */
  transaction?: boolean
  /** Honour an `Idempotency-Key` header (POSTs that create or move money/messages); see idempotency.ts. */
  idempotent?: boolean
}

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges the route config keys
  interface FastifyContextConfig extends RouteAuthConfig {}
  interface FastifyRequest {
    /** Set for authenticated routes. */
    ctx: Ctx
    /** What the credentials claim, verified cryptographically but not yet against the database. */
    principal: Principal | null
  }
}

export type Principal =
  | { kind: 'user'; userId: string; orgId: string; sessionId: string }
  | { kind: 'api_key'; orgId: string; keyHash: string }
  | { kind: 'invalid' }

const noTransaction: Executor = new Proxy({} as Executor, {
  get() {
    throw new Error('This route runs without a request transaction (transaction: false); use platform.db.tenant(ctx, ...)')
  },
})

export function publicCtx(platform: Platform, request: FastifyRequest): PublicCtx {
  return {
    platform,
    log: request.log,
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  }
}

/** Reads the credentials of a request (Bearer token or X-API-Key). Cheap: no database. */
async function readPrincipal(platform: Platform, request: FastifyRequest): Promise<Principal | null> {
  const apiKey = request.headers['x-api-key']
  if (typeof apiKey === 'string' && apiKey.length > 0) {
    const parsed = parseApiKey(apiKey)
    return parsed ? { kind: 'api_key', orgId: parsed.orgId, keyHash: parsed.hash } : { kind: 'invalid' }
  }
  const header = request.headers.authorization
  if (!header) return null
  const m = /^Bearer\s+(\S+)$/i.exec(header)
  if (!m?.[1]) return { kind: 'invalid' }
  const claims = await platform.tokens.verifyAccess(m[1])
  return claims ? { kind: 'user', ...claims } : { kind: 'invalid' }
}

// Prepared once per connection (planning these under row-level security costs more than running them).
// The arguments were validated (UUID / hex) before they are written into the SQL text.
const SESSION_ROLE = `(uuid, uuid, uuid) AS SELECT m.role FROM sessions s
  JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $1
  WHERE s.id = $2 AND s.user_id = $3 AND s.org_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`
const API_KEY = `(text) AS SELECT id, permissions FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > now())`

function preludeFor(p: Exclude<Principal, { kind: 'invalid' }>): Prelude {
  if (p.kind === 'user') {
    return { name: 'luminous_session_role', definition: SESSION_ROLE, args: [p.orgId, p.sessionId, p.userId] }
  }
  return { name: 'luminous_api_key', definition: API_KEY, args: [p.keyHash] }
}

export function registerGuard(app: FastifyInstance, platform: Platform): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('ctx', null as unknown as Ctx)

  app.addHook('onRequest', async (request) => {
    request.principal = await readPrincipal(platform, request)
  })

  // Missing or unverifiable credentials are a 401 before the body is validated, so an anonymous
  // caller learns nothing about a route's input rules. The database check happens in the handler.
  app.addHook('preValidation', async (request) => {
    const config = request.routeOptions.config as RouteAuthConfig
    if (config.auth === 'none' || !request.routeOptions.url?.startsWith('/api/')) return
    const principal = request.principal
    if (!principal) throw new UnauthenticatedError()
    if (principal.kind === 'invalid') throw new UnauthenticatedError('Invalid or expired credentials', 'invalid_token')
  })

  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as RouteAuthConfig
    if (config.idempotent && (config.auth === 'none' || config.transaction === false || !route.url.startsWith('/api/'))) {
      throw new Error(`${route.url}: idempotent routes must be authenticated and transactional (the stored response commits with the change)`)
    }
    // Only the API is guarded; /healthz, /readyz, /metrics and /docs are operational pages.
    if (config.auth === 'none' || !route.url.startsWith('/api/')) return
    const transactional = config.transaction !== false
    if (config.idempotent) {
      const schema = (route.schema ?? {}) as Record<string, unknown>
      const headers = (schema.headers ?? Type.Object({})) as TObject
      route.schema = { ...schema, headers: { ...headers, properties: { ...headers.properties, ...IdempotencyHeaders } } }
    }
    const original = config.idempotent ? withIdempotency(route.handler) : route.handler
    const permission = config.permission

    route.handler = async function guarded(request, reply) {
      const principal = request.principal
      if (!principal) throw new UnauthenticatedError()
      if (principal.kind === 'invalid') throw new UnauthenticatedError('Invalid or expired credentials', 'invalid_token')
      if (principal.kind === 'api_key' && !/^[0-9a-f]{64}$/.test(principal.keyHash)) throw new UnauthenticatedError()

      const userId = principal.kind === 'user' ? principal.userId : null
      const tx = await platform.db.begin({ orgId: principal.orgId, userId }, preludeFor(principal))
      let role: Role | null = null
      let permissions: ReadonlySet<string>
      let actor: Ctx['actor']
      const row = tx.preludeRows[0]
      if (!row) {
        await tx.rollback()
        throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
      }
      if (principal.kind === 'user') {
        if (!isRole(row.role)) {
          await tx.rollback()
          throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
        }
        role = row.role
        permissions = permissionsOf(role)
        actor = { type: 'user', id: principal.userId }
      } else {
        permissions = new Set(row.permissions as string[])
        actor = { type: 'api_key', id: row.id as string }
      }
      if (permission && !permissions.has(permission)) {
        await tx.rollback()
        throw new ForbiddenError(`This needs the ${permission} permission`)
      }
      request.ctx = {
        ...publicCtx(platform, request),
        orgId: principal.orgId,
        userId,
        sessionId: principal.kind === 'user' ? principal.sessionId : null,
        actor,
        role,
        permissions,
        db: transactional ? tx.db : noTransaction,
      }
      if (!transactional) {
        await tx.commit()
        return original.call(this, request, reply)
      }
      let result: unknown
      try {
        result = await original.call(this, request, reply)
      } catch (err) {
        await tx.rollback()
        throw err
      }
      await tx.commit()
      return result
    }
  })
}
