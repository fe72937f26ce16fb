// The request context every service function takes first. It names who acts, for which organization,
// and carries the request's tenant transaction (`db`), so a service never reaches for globals.
import type { FastifyBaseLogger } from 'fastify'
import type { Role } from './auth/permissions.js'
import type { Executor } from './db/database.js'
import type { Platform } from './platform.js'

export interface Actor {
  type: 'user' | 'api_key' | 'system'
  id: string | null
}

/** Context of a request nobody is signed in to (register, login, webhooks). */
export interface PublicCtx {
  platform: Platform
  log: FastifyBaseLogger
  requestId: string
  ip: string
  userAgent: string | null
}

/** Context of an authenticated request (or a job acting for an organization). */
export interface Ctx extends PublicCtx {
  orgId: string
  /** The signed-in user; null when an API key or the system acts. */
  userId: string | null
  sessionId: string | null
  actor: Actor
  role: Role | null
  permissions: ReadonlySet<string>
  /** The request's transaction, scoped to `orgId` by row-level security. */
  db: Executor
}
