// TOTP two-factor authentication (RFC 6238, 30 s steps, 6 digits — what authenticator apps speak).
// The secret is stored encrypted; a code is accepted one step early or late for clock drift, and a
// step once used is refused afterwards (replay). Ten one-time recovery codes, stored hashed, stand in
// for the authenticator when it is lost.
import { randomInt } from 'node:crypto'
import { generateSecret, generateURI, verify } from 'otplib'
import QRCode from 'qrcode'
import { audit } from '../../../platform/audit.js'
import { sha256 } from '../../../platform/auth/tokens.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import { decryptSecret, encryptSecret } from '../../../platform/crypto.js'
import type { Executor } from '../../../platform/db/database.js'
import { ConflictError, RateLimitError, StateError, UnauthenticatedError, ValidationError } from '../../../platform/errors.js'
import { twoFactorChangedMail, type TwoFactorChange } from '../mails.js'
import {
  claimTimeStep,
  consumeRecoveryCode,
  countUnusedRecoveryCodes,
  deleteTwoFactor,
  findTwoFactor,
  markTwoFactorEnabled,
  recordTwoFactorFailure,
  replaceRecoveryCodes,
  resetTwoFactorFailures,
  upsertPendingTwoFactor,
} from '../queries-account.js'
import { findUserById } from '../queries.js'
import { requireUser } from './sessions.js'

export const TOTP_ISSUER = 'Luminous'
const STEP_SECONDS = 30
export const RECOVERY_CODE_COUNT = 10
// Crockford's base32 (no i, l, o, u: nothing to misread). 16 symbols of 5 bits: 80 random bits,
// beyond guessing even offline from the SHA-256 hash.
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const RECOVERY_LENGTH = 16
// Wrong codes in a row on the signed-in routes (disable, regenerate) before they pause; log-in has its
// own lockout, counted per account and per IP by the auth service.
const MAX_FAILURES = 5
const FAILURE_PAUSE_MS = 15 * 60_000

export type SecondFactorCheck = 'not_enrolled' | 'ok' | 'required' | 'invalid'

type TwoFactorRow = NonNullable<Awaited<ReturnType<typeof findTwoFactor>>>

export interface TwoFactorStatus {
  enabled: boolean
  pendingEnrollment: boolean
  enabledAt: string | null
  recoveryCodesRemaining: number
}

export interface Enrollment {
  secret: string
  otpauthUri: string
  qrCode: string
}

const isTotpCode = (code: string): boolean => /^\d{6}$/.test(code)

/** Lower-case, without separators, look-alikes read as Crockford does: the form that was hashed. */
function normalizeRecoveryCode(code: string): string | null {
  const plain = code.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1')
  if (plain.length !== RECOVERY_LENGTH) return null
  for (const ch of plain) if (!RECOVERY_ALPHABET.includes(ch)) return null
  return plain
}

function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = []
  const hashes: string[] = []
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    let plain = ''
    for (let j = 0; j < RECOVERY_LENGTH; j++) plain += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]
    codes.push(plain.replace(/(.{4})(?!$)/g, '$1-'))
    hashes.push(sha256(plain))
  }
  return { codes, hashes }
}

/** Checks a TOTP code against the stored secret and claims its time step, so it works only once. */
async function acceptTotp(ctx: PublicCtx, db: Executor, row: TwoFactorRow, code: string): Promise<boolean> {
  if (!isTotpCode(code)) return false
  const secret = decryptSecret(ctx.platform.config.ENCRYPTION_KEY, row.secret_encrypted, row.user_id)
  const result = await verify({
    secret,
    token: code,
    epochTolerance: STEP_SECONDS,
    ...(row.last_used_step !== null ? { afterTimeStep: row.last_used_step } : {}),
  })
  // The functional API types TOTP and HOTP results together; only TOTP's carries the time step.
  return result.valid && 'timeStep' in result && (await claimTimeStep(db, row.user_id, result.timeStep))
}

/** A TOTP code, or else an unused recovery code (which is used up). */
async function acceptSecondFactor(ctx: PublicCtx, db: Executor, row: TwoFactorRow, code: string): Promise<boolean> {
  if (isTotpCode(code)) return acceptTotp(ctx, db, row, code)
  const plain = normalizeRecoveryCode(code)
  return plain !== null && consumeRecoveryCode(db, row.user_id, sha256(plain))
}

/**
 * The second step of a log-in. `db` is the log-in's transaction (system work, or one whose user is
 * `userId`); a recovery code used here is consumed in it.
 */
export async function checkSecondFactor(
  ctx: PublicCtx,
  db: Executor,
  userId: string,
  code: string | undefined,
): Promise<SecondFactorCheck> {
  const row = await findTwoFactor(db, userId)
  if (!row?.enabled_at) return 'not_enrolled'
  if (code === undefined || code.trim() === '') return 'required'
  return (await acceptSecondFactor(ctx, db, row, code.trim())) ? 'ok' : 'invalid'
}

const codeRejected = () => ValidationError.field('code', 'is wrong, expired or was already used')

/**
 * For account changes that need the second factor: the code must be right, and wrong ones are counted
 * (in their own transaction, since the request's rolls back with the error) and pause such changes
 * after a few. Returns the 2FA row, or null when 2FA is off and `requireEnabled` is false.
 */
async function guardedSecondFactor(ctx: Ctx, userId: string, code: string | undefined, requireEnabled: boolean): Promise<TwoFactorRow | null> {
  const row = await findTwoFactor(ctx.db, userId)
  if (!row?.enabled_at) {
    if (requireEnabled) throw new StateError('Two-factor authentication is not on', 'two_factor_not_enabled')
    return null
  }
  if (code === undefined || code.trim() === '') throw ValidationError.field('code', 'is required while two-factor authentication is on')
  if (row.failed_attempts >= MAX_FAILURES && row.last_failed_at) {
    const wait = row.last_failed_at.getTime() + FAILURE_PAUSE_MS - Date.now()
    if (wait > 0) throw new RateLimitError(wait / 1000, 'Too many wrong codes; try again later')
  }
  if (await acceptSecondFactor(ctx, ctx.db, row, code.trim())) {
    await resetTwoFactorFailures(ctx.db, userId)
    return row
  }
  await ctx.platform.db.tenant({ orgId: ctx.orgId, userId }, (db) => recordTwoFactorFailure(db, userId))
  throw codeRejected()
}

/**
 * Asks for the second factor before a sensitive change of the signed-in user's account (e.g. its
 * deletion): nothing when 2FA is off, else a right TOTP or recovery code, with wrong ones throttled.
 */
export async function confirmSecondFactorIfEnabled(ctx: Ctx, code: string | undefined): Promise<void> {
  await guardedSecondFactor(ctx, requireUser(ctx).userId, code, false)
}

/** Audits a change of the user's two-factor set-up and tells them by e-mail, in case it was not them. */
async function recordChange(ctx: Ctx, userId: string, change: TwoFactorChange): Promise<void> {
  await audit(ctx, { entity: 'user', entityId: userId, action: `two_factor.${change}` })
  const user = await findUserById(ctx.db, userId)
  if (user) await ctx.platform.mail.send(ctx.db, { to: user.email, ...twoFactorChangedMail(user.first_name, change), orgId: null })
}

export async function getTwoFactorStatus(ctx: Ctx): Promise<TwoFactorStatus> {
  const userId = requireUser(ctx).userId
  const row = await findTwoFactor(ctx.db, userId)
  const enabled = Boolean(row?.enabled_at)
  return {
    enabled,
    pendingEnrollment: row !== undefined && !enabled,
    enabledAt: row?.enabled_at?.toISOString() ?? null,
    recoveryCodesRemaining: enabled ? await countUnusedRecoveryCodes(ctx.db, userId) : 0,
  }
}

/** Issues a new secret; 2FA turns on only when a code from it is confirmed. */
export async function enrollTwoFactor(ctx: Ctx): Promise<Enrollment> {
  const userId = requireUser(ctx).userId
  const existing = await findTwoFactor(ctx.db, userId)
  if (existing?.enabled_at) {
    throw new ConflictError('Two-factor authentication is already on; disable it before enrolling again', 'two_factor_already_enabled')
  }
  const user = await findUserById(ctx.db, userId)
  if (!user) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  const secret = generateSecret()
  await upsertPendingTwoFactor(ctx.db, userId, encryptSecret(ctx.platform.config.ENCRYPTION_KEY, secret, userId))
  const otpauthUri = generateURI({ issuer: TOTP_ISSUER, label: user.email, secret, period: STEP_SECONDS, digits: 6 })
  const qrCode = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 256 })
  await audit(ctx, { entity: 'user', entityId: userId, action: 'two_factor.enrollment_started' })
  return { secret, otpauthUri, qrCode }
}

export async function confirmTwoFactor(ctx: Ctx, input: { code: string }): Promise<{ enabledAt: string; recoveryCodes: string[] }> {
  const userId = requireUser(ctx).userId
  const row = await findTwoFactor(ctx.db, userId)
  if (!row) throw new StateError('Start with POST /api/v1/auth/2fa/enroll', 'two_factor_not_enrolled')
  if (row.enabled_at) throw new ConflictError('Two-factor authentication is already on', 'two_factor_already_enabled')
  // Only the authenticator proves the secret was scanned; recovery codes do not exist yet.
  if (!(await acceptTotp(ctx, ctx.db, row, input.code.trim()))) throw codeRejected()
  const enabledAt = await markTwoFactorEnabled(ctx.db, userId)
  if (!enabledAt) throw new ConflictError('Two-factor authentication is already on', 'two_factor_already_enabled')
  const { codes, hashes } = newRecoveryCodes()
  await replaceRecoveryCodes(ctx.db, userId, hashes)
  await recordChange(ctx, userId, 'enabled')
  return { enabledAt: enabledAt.toISOString(), recoveryCodes: codes }
}

export async function disableTwoFactor(ctx: Ctx, input: { code: string }): Promise<TwoFactorStatus> {
  const userId = requireUser(ctx).userId
  await guardedSecondFactor(ctx, userId, input.code, true)
  await deleteTwoFactor(ctx.db, userId)
  await recordChange(ctx, userId, 'disabled')
  return { enabled: false, pendingEnrollment: false, enabledAt: null, recoveryCodesRemaining: 0 }
}

export async function regenerateRecoveryCodes(ctx: Ctx, input: { code: string }): Promise<{ recoveryCodes: string[] }> {
  const userId = requireUser(ctx).userId
  await guardedSecondFactor(ctx, userId, input.code, true)
  const { codes, hashes } = newRecoveryCodes()
  await replaceRecoveryCodes(ctx.db, userId, hashes)
  await recordChange(ctx, userId, 'recovery_codes_regenerated')
  return { recoveryCodes: codes }
}
