// Access tokens: short-lived HS256 JWTs naming the user, the active organization and the session.
// Refresh tokens and other secrets handed to clients are random strings stored only as SHA-256 hashes.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SignJWT } from 'jose'
import { isUuid } from '../db/database.js'

export interface AccessClaims {
  userId: string
  orgId: string
  sessionId: string
}

const EXPECTED_HEADER = { alg: 'HS256', typ: 'JWT' }

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export class TokenService {
  private readonly key: Uint8Array
  private readonly secret: string
  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    this.secret = secret
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

  /**
   * Returns the claims, or null for any bad, expired or malformed token. Verification is on every
   * request, so it is done synchronously with node:crypto (jose's WebCrypto path re-imports the key and
   * runs an async job each time: ~15% of a request's CPU). Only the exact header we sign is accepted,
   * which rules out `alg: none` and algorithm confusion.
   */
  async verifyAccess(token: string): Promise<AccessClaims | null> {
    const parts = token.split('.')
    if (parts.length !== 3) return null
    const [header, payload, signature] = parts as [string, string, string]
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest()
    const given = Buffer.from(signature, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    const h = decodeJson(header)
    if (!h || h.alg !== EXPECTED_HEADER.alg || (h.typ !== undefined && h.typ !== EXPECTED_HEADER.typ) || h.crit !== undefined) return null
    const claims = decodeJson(payload)
    if (!claims || claims.iss !== 'luminous') return null
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.exp !== 'number' || claims.exp <= now) return null
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) return null
    const { sub, org, sid } = claims
    if (!isUuid(sub) || !isUuid(org) || !isUuid(sid)) return null
    return { userId: sub, orgId: org, sessionId: sid }
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
