// Sessions: one per sign-in, each a refresh-token family. A refresh token is single-use; using it
// returns a new pair and retires it. Presenting a retired token again means it was copied, so the
// whole family is revoked and both holders must sign in again.
import { randomToken, sha256 } from '../../../platform/auth/tokens.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import { isUuid, type Executor } from '../../../platform/db/database.js'
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../../platform/errors.js'
import { newId } from '../../../platform/ids.js'
import type { Platform } from '../../../platform/platform.js'
import { findMembership } from '../../organizations/index.js'
import {
  insertRefreshToken,
  insertSession,
  listLiveSessions,
  lockRefreshToken,
  retireRefreshTokens,
  revokeSession,
  revokeSessionsOfUser,
  touchSession,
} from '../queries.js'
import type { AuthTokens } from '../schemas.js'

const USER_AGENT_MAX = 512

/** The signed-in user of a request; API keys act for an organization, not a person. */
export function requireUser(ctx: Ctx): { userId: string; sessionId: string } {
  if (!ctx.userId || !ctx.sessionId) throw new ForbiddenError('This needs a signed-in user, not an API key', 'user_required')
  return { userId: ctx.userId, sessionId: ctx.sessionId }
}

const clientInfo = (pctx: PublicCtx) => ({
  ip: pctx.ip || null,
  user_agent: pctx.userAgent ? pctx.userAgent.slice(0, USER_AGENT_MAX) : null,
})

const refreshExpiry = (platform: Platform) => new Date(Date.now() + platform.config.REFRESH_TOKEN_TTL * 1000)

async function issue(
  platform: Platform,
  claims: { userId: string; orgId: string; sessionId: string },
  refreshToken: string,
  refreshExpiresAt: Date,
): Promise<AuthTokens> {
  const access = await platform.tokens.signAccess(claims)
  return {
    accessToken: access.token,
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: platform.tokens.accessTtlSeconds,
    expiresAt: access.expiresAt.toISOString(),
    refreshExpiresAt: refreshExpiresAt.toISOString(),
  }
}

/**
 * Opens a session for the user in the organization and returns its first token pair. `db` must carry
 * the user (`userId`) in its tenant context: sessions are visible to their own user only.
 */
export async function startSession(pctx: PublicCtx, db: Executor, { userId, orgId }: { userId: string; orgId: string }): Promise<AuthTokens> {
  const sessionId = newId()
  const expiresAt = refreshExpiry(pctx.platform)
  await insertSession(db, { id: sessionId, user_id: userId, org_id: orgId, expires_at: expiresAt, ...clientInfo(pctx) })
  const refreshToken = randomToken(32)
  await insertRefreshToken(db, sessionId, sha256(refreshToken))
  return issue(pctx.platform, { userId, orgId, sessionId }, refreshToken, expiresAt)
}

/** A new token pair in the same session, for another organization (switch-organization). */
export async function moveSession(ctx: Ctx, orgId: string): Promise<AuthTokens> {
  const { userId, sessionId } = requireUser(ctx)
  const expiresAt = refreshExpiry(ctx.platform)
  await retireRefreshTokens(ctx.db, sessionId, new Date())
  await touchSession(ctx.db, sessionId, { ...clientInfo(ctx), expires_at: expiresAt, org_id: orgId })
  const refreshToken = randomToken(32)
  await insertRefreshToken(ctx.db, sessionId, sha256(refreshToken))
  return issue(ctx.platform, { userId, orgId, sessionId }, refreshToken, expiresAt)
}

type RotateOutcome =
  | { kind: 'ok'; userId: string; orgId: string; sessionId: string; refreshToken: string; expiresAt: Date }
  | { kind: 'invalid' }
  | { kind: 'reused'; sessionId: string }

/** Exchanges a refresh token for a new pair (rotation); see the module note on reuse. */
export async function refreshSession(pctx: PublicCtx, refreshToken: string): Promise<AuthTokens> {
  const { platform } = pctx
  const tokenHash = sha256(refreshToken)
  // System work: the refresh token is the only credential here, so the session is found by its hash.
  const outcome = await platform.db.system(async (db): Promise<RotateOutcome> => {
    const row = await lockRefreshToken(db, tokenHash)
    if (!row || row.revoked_at !== null) return { kind: 'invalid' }
    if (row.used_at !== null) {
      await revokeSession(db, row.session_id, 'refresh_token_reused')
      return { kind: 'reused', sessionId: row.session_id }
    }
    if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' }
    if (!(await findMembership(db, row.org_id, row.user_id))) {
      await revokeSession(db, row.session_id, 'membership_ended')
      return { kind: 'invalid' }
    }
    const expiresAt = refreshExpiry(platform)
    await retireRefreshTokens(db, row.session_id, new Date())
    const next = randomToken(32)
    await insertRefreshToken(db, row.session_id, sha256(next))
    await touchSession(db, row.session_id, { ...clientInfo(pctx), expires_at: expiresAt })
    return { kind: 'ok', userId: row.user_id, orgId: row.org_id, sessionId: row.session_id, refreshToken: next, expiresAt }
  })
  if (outcome.kind === 'reused') {
    pctx.log.warn({ sessionId: outcome.sessionId }, 'a used refresh token was presented again; its session was revoked')
  }
  if (outcome.kind !== 'ok') throw new UnauthenticatedError('Refresh token is invalid, expired or already used', 'invalid_token')
  return issue(platform, outcome, outcome.refreshToken, outcome.expiresAt)
}

/** Ends this session, or every session of the user. */
export async function logout(ctx: Ctx, { all = false }: { all?: boolean }): Promise<void> {
  const { userId, sessionId } = requireUser(ctx)
  if (all) await revokeSessionsOfUser(ctx.db, userId, 'logout_all')
  else await revokeSession(ctx.db, sessionId, 'logout')
}

export interface SessionView {
  id: string
  device: string | null
  ip: string | null
  organizationId: string
  createdAt: string
  lastUsedAt: string
  expiresAt: string
  current: boolean
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url')
const decodeCursor = (cursor: string): string => {
  const id = Buffer.from(cursor, 'base64url').toString()
  if (!isUuid(id)) throw ValidationError.field('cursor', 'is not a cursor this list returned')
  return id
}

export async function listSessions(ctx: Ctx, query: { limit?: number; cursor?: string }) {
  const { userId, sessionId } = requireUser(ctx)
  const limit = query.limit ?? 50
  const rows = await listLiveSessions(ctx.db, userId, { limit: limit + 1, ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}) })
  const page = rows.slice(0, limit)
  const data: SessionView[] = page.map((s) => ({
    id: s.id,
    device: s.user_agent,
    ip: s.ip,
    organizationId: s.org_id,
    createdAt: s.created_at.toISOString(),
    lastUsedAt: s.last_used_at.toISOString(),
    expiresAt: s.expires_at.toISOString(),
    current: s.id === sessionId,
  }))
  const last = page.at(-1)
  const hasMore = rows.length > limit
  return { data, hasMore, nextCursor: hasMore && last ? encodeCursor(last.id) : null }
}

/** Revokes one of the caller's own sessions; another user's session is "not found". */
export async function revokeOwnSession(ctx: Ctx, id: string): Promise<void> {
  const { userId } = requireUser(ctx)
  if (!(await revokeSession(ctx.db, id, 'revoked_by_user', userId))) throw new NotFoundError('Session')
}
