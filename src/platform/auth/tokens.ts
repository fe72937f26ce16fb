// Access tokens: short-lived HS256 JWTs naming the user, the active organization and the session.
// Refresh tokens and other secrets handed to clients are random strings stored only as SHA-256 hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import { isUuid } from '../db/database.js'

export interface AccessClaims {
  userId: string
  orgId: string
  sessionId: string
}

export class TokenService {
  private readonly key: Uint8Array
  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret)
  }

  async signAccess(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000)
    const exp = now + this.accessTtlSeconds
    const token = await new SignJWT({ org: claims.orgId, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('luminous')
      .sign(this.key)
    return { token, expiresAt: new Date(exp * 1000) }
  }

  /** Returns the claims, or null for any bad, expired or malformed token. */
  async verifyAccess(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'luminous', algorithms: ['HS256'] })
      const { sub, org, sid } = payload as { sub?: unknown; org?: unknown; sid?: unknown }
      if (!isUuid(sub) || !isUuid(org) || !isUuid(sid)) return null
      return { userId: sub, orgId: org, sessionId: sid }
    } catch {
      return null
    }
  }
}

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url')
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** API keys: `lum_<org id hex>_<secret>`. The organization in the key lets the guard check it in one trip. */
export function makeApiKey(orgId: string): { key: string; prefix: string; hash: string } {
  const key = `lum_${orgId.replace(/-/g, '')}_${randomToken(24)}`
  return { key, prefix: `${key.slice(0, 12)}…${key.slice(-4)}`, hash: sha256(key) }
}

export function parseApiKey(key: string): { orgId: string; hash: string } | null {
  const m = /^lum_([0-9a-f]{32})_[A-Za-z0-9_-]{32}$/.exec(key)
  if (!m?.[1]) return null
  const h = m[1]
  const orgId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  return { orgId, hash: sha256(key) }
}
