// Socket handshake authentication: the same access token as the REST API (`auth.token`, or an
// `Authorization: Bearer` header for non-browser clients), verified as a JWT and then checked against
// the database exactly as the HTTP guard does — the session is live and the user is still a member of
// the token's organization, with the role they hold now.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { isRole, type Role } from '../auth/permissions.js'
import type { TokenService } from '../auth/tokens.js'
import type { Db } from '../db/database.js'
import { AppError, UnauthenticatedError } from '../errors.js'

/** Who a socket belongs to; kept in `socket.data` (plain data, so other nodes can read it). */
export interface SocketPrincipal {
  userId: string
  orgId: string
  sessionId: string
  role: Role
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: { path: string; message: string }[]; requestId: string }
}

/** The API-CONVENTIONS envelope for an error, as socket acks and handshake errors carry it. */
export function envelope(err: unknown, requestId: string = randomUUID()): ErrorEnvelope {
  if (err instanceof AppError) {
    return { error: { code: err.code, message: err.message, ...(err.details?.length ? { details: err.details } : {}), requestId } }
  }
  return { error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged', requestId } }
}

function tokenOf(auth: unknown, authorization: string | undefined): string | null {
  const given = (auth as { token?: unknown } | null | undefined)?.token
  if (typeof given === 'string' && given.length > 0) return given.replace(/^Bearer\s+/i, '')
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null
  return m?.[1] ?? null
}

export async function authenticateHandshake(
  deps: { tokens: TokenService; db: Db },
  auth: unknown,
  authorization: string | undefined,
): Promise<SocketPrincipal> {
  const token = tokenOf(auth, authorization)
  if (!token) throw new UnauthenticatedError('Authentication required: pass the access token as auth.token')
  const claims = await deps.tokens.verifyAccess(token)
  if (!claims) throw new UnauthenticatedError('Invalid or expired credentials', 'invalid_token')
  const { rows } = await deps.db.tenant({ orgId: claims.orgId, userId: claims.userId }, (db) =>
    sql<{ role: string }>`
      SELECT m.role FROM sessions s JOIN memberships m ON m.user_id = s.user_id AND m.org_id = ${claims.orgId}
      WHERE s.id = ${claims.sessionId} AND s.user_id = ${claims.userId} AND s.org_id = ${claims.orgId} AND s.revoked_at IS NULL AND s.expires_at > now()`.execute(db),
  )
  const role = rows[0]?.role
  if (!isRole(role)) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  return { userId: claims.userId, orgId: claims.orgId, sessionId: claims.sessionId, role }
}

/**
 * Which of the given (session, organization) pairs are still valid, with their current role. The
 * realtime layer asks this periodically for every connected socket, so a revoked session or a removed
 * member stops receiving events without waiting for a reconnect. Crosses users, so it runs as system work.
 */
export async function liveSessions(db: Db, pairs: { sessionId: string; orgId: string }[]): Promise<Map<string, Role>> {
  const out = new Map<string, Role>()
  if (pairs.length === 0) return out
  const { rows } = await sql<{ sid: string; org: string; role: string }>`
    SELECT x.sid, x.org, m.role
    FROM unnest(${pairs.map((p) => p.sessionId)}::uuid[], ${pairs.map((p) => p.orgId)}::uuid[]) AS x(sid, org)
    JOIN sessions s ON s.id = x.sid AND s.org_id = x.org AND s.revoked_at IS NULL AND s.expires_at > now()
    JOIN memberships m ON m.user_id = s.user_id AND m.org_id = x.org`.execute(db.owner)
  for (const r of rows) if (isRole(r.role)) out.set(`${r.sid}:${r.org}`, r.role)
  return out
}
