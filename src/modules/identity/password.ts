// Password hashing (argon2id at the OWASP parameters, on low-priority worker threads so the event loop
// keeps serving during a login storm) and the password policy: 10–128 characters, not a commonly leaked
// password, not the e-mail.
import { readFileSync } from 'node:fs'
import type { Algorithm } from '@node-rs/argon2'
import { argon2Pool } from '../../platform/auth/argon2-pool.js'
import { ValidationError, type ErrorDetail } from '../../platform/errors.js'

// `Algorithm` is a const enum, which isolated modules cannot read at run time: 2 is Argon2id.
const ARGON2_OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 128

export function hashPassword(password: string): Promise<string> {
  return argon2Pool.hash(password, ARGON2_OPTIONS)
}

/** False for a wrong password and for a malformed hash alike. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2Pool.verify(passwordHash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | null = null
/**
 * Verifies against a throwaway hash so that a log-in for an unknown e-mail costs the same time as one
 * with a wrong password, and the answer does not tell whether the account exists.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('luminous-dummy-password-for-timing')
  await verifyPassword(await dummyHash, password)
}

let common: ReadonlySet<string> | null = null
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#')),
  )
  return common
}

export const isCommonPassword = (password: string): boolean => commonPasswords().has(password.toLowerCase())

/** Every rule the password breaks, as messages for the field (empty when it is acceptable). */
export function passwordProblems(password: string, { email }: { email?: string | null } = {}): string[] {
  const length = [...password].length
  if (length < PASSWORD_MIN_LENGTH) return [`must be at least ${PASSWORD_MIN_LENGTH} characters long`]
  if (length > PASSWORD_MAX_LENGTH) return [`must be at most ${PASSWORD_MAX_LENGTH} characters long`]
  const problems: string[] = []
  if (isCommonPassword(password)) problems.push('is one of the most commonly used passwords; choose a less predictable one')
  const lower = password.toLowerCase()
  const address = email?.trim().toLowerCase() ?? ''
  const localPart = address.split('@')[0] ?? ''
  // A local part of one or two letters would forbid half the alphabet; those are caught by equality only.
  if (address && (lower === address || lower === localPart || (localPart.length >= 3 && lower.includes(localPart)))) {
    problems.push('must not contain your e-mail address')
  }
  return problems
}

/** Throws a ValidationError on `path` that names the rule the password breaks. */
export function assertPasswordPolicy(password: string, options: { email?: string | null; path?: string } = {}): void {
  const path = options.path ?? 'password'
  const details: ErrorDetail[] = passwordProblems(password, options).map((message) => ({ path, message }))
  if (details.length > 0) throw new ValidationError(`${path} ${details.map((d) => d.message).join('; ')}`, details)
}
