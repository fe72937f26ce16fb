// The signed-in user's own profile: names, phone, locale, timezone, free-form settings and avatar.
import { audit, diff } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { UnauthenticatedError, ValidationError } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import { normalizePhone } from '../phone.js'
import { lockUser } from '../queries-account.js'
import { findUserById, updateUser } from '../queries.js'
import { toUser, type User } from '../schemas.js'
import type { UsersRow } from '../tables.js'
import { avatarUrl } from './avatar.js'
import { requireUser } from './sessions.js'

/** Largest `settings` object, as JSON, after a merge. */
export const MAX_SETTINGS_BYTES = 16 * 1024

export interface ProfilePatch {
  firstName?: string
  lastName?: string
  phoneNumber?: string | null
  locale?: string
  timezone?: string
  /** Merged into the stored settings key by key; a key set to null is removed. */
  settings?: Record<string, unknown>
}

/** The signed-in user's row; `lock` holds it until the transaction ends (read-modify-write of settings). */
export async function loadSignedInUser(ctx: Ctx, { lock = false } = {}): Promise<UsersRow> {
  const userId = requireUser(ctx).userId
  const row = lock ? await lockUser(ctx.db, userId) : await findUserById(ctx.db, userId)
  // The guard saw a live session a moment ago; a user erased since then has no profile left.
  if (!row) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  return row
}

/** A BCP 47 language tag, in its canonical form (`pt-br` → `pt-BR`). */
export function canonicalLocale(tag: string, path = 'locale'): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim())
    if (canonical) return canonical
  } catch {
    // RangeError: not a well-formed tag; answered below.
  }
  throw ValidationError.field(path, 'must be a BCP 47 language tag, e.g. en, pt-BR or zh-Hant-TW')
}

let zones: ReadonlySet<string> | null = null
/**
 * An IANA time zone name (`Area/Location`, or `UTC`) that this runtime knows. The ICU zone list uses
 * some older names (Asia/Calcutta), so current aliases (Asia/Kolkata) are accepted when they resolve
 * to a listed zone; abbreviations and offsets (EST, +05:00) are refused.
 */
export function assertTimeZone(name: string, path = 'timezone'): string {
  zones ??= new Set(Intl.supportedValuesOf('timeZone'))
  const fail = () => ValidationError.field(path, 'must be an IANA time zone such as UTC, Europe/Lisbon or America/Sao_Paulo')
  if (name !== 'UTC' && !/^[A-Z][A-Za-z_-]*(\/[A-Za-z0-9_+-]+)+$/.test(name)) throw fail()
  if (zones.has(name)) return name
  let resolved: string
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    throw fail()
  }
  if (resolved !== 'UTC' && !zones.has(resolved)) throw fail()
  return name
}

function mergeSettings(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  if (Buffer.byteLength(JSON.stringify(merged)) > MAX_SETTINGS_BYTES) {
    throw ValidationError.field('settings', `must be at most ${MAX_SETTINGS_BYTES} bytes as JSON once merged`)
  }
  return merged
}

function trimmedName(value: string, path: string): string {
  const name = value.trim()
  if (!name) throw ValidationError.field(path, 'must not be blank')
  return name
}

/** The user DTO with a fresh signed URL for the avatar. */
export async function userDto(ctx: Ctx, row: UsersRow): Promise<User> {
  return toUser(row, await avatarUrl(ctx, row.avatar_file_id))
}

export async function getProfile(ctx: Ctx): Promise<User> {
  return userDto(ctx, await loadSignedInUser(ctx))
}

export async function updateProfile(ctx: Ctx, patch: ProfilePatch): Promise<User> {
  const before = await loadSignedInUser(ctx, { lock: true })
  const next: Partial<Pick<UsersRow, 'first_name' | 'last_name' | 'phone_number' | 'locale' | 'timezone' | 'settings'>> = {}
  if (patch.firstName !== undefined) next.first_name = trimmedName(patch.firstName, 'firstName')
  if (patch.lastName !== undefined) next.last_name = trimmedName(patch.lastName, 'lastName')
  if (patch.phoneNumber !== undefined) next.phone_number = patch.phoneNumber === null ? null : normalizePhone(patch.phoneNumber)
  if (patch.locale !== undefined) next.locale = canonicalLocale(patch.locale)
  if (patch.timezone !== undefined) next.timezone = assertTimeZone(patch.timezone)
  if (patch.settings !== undefined) next.settings = mergeSettings(before.settings, patch.settings)

  const changes = diff(before, next)
  if (Object.keys(changes).length === 0) return userDto(ctx, before)
  const { settings, ...columns } = next
  const after = await updateUser(ctx.db, before.id, {
    ...columns,
    ...(settings !== undefined ? { settings: JSON.stringify(settings) } : {}),
  })
  if (!after) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  await audit(ctx, { entity: 'user', entityId: before.id, action: 'updated', changes })
  const dto = await userDto(ctx, after)
  await publish(ctx, { type: 'user.updated', aggregate: 'user', aggregateId: before.id, rooms: [rooms.user(before.id)], payload: dto })
  return dto
}
