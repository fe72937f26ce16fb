// Failed log-ins are counted per account (the e-mail as typed, whether or not an account has it, so a
// lockout reveals nothing) and per client IP. Each failure past a threshold locks the key for a while:
// first short delays, then a lock that doubles up to a ceiling. A success clears the account's count.
import type { Executor } from '../../../platform/db/database.js'
import { RateLimitError } from '../../../platform/errors.js'
import { clearKey, countFailure, lockKey, throttleRows } from '../queries-auth.js'

export type ThrottleKind = 'account' | 'ip'

/** A count older than this (since its last failure) starts again from one. */
export const FAILURE_MEMORY_SECONDS = 60 * 60
const MAX_LOCK_SECONDS = 15 * 60

/**
 * Seconds the key is locked after its `failures`-th consecutive failure. Accounts: free for two
 * failures, then 2 s and 5 s delays, then from the fifth a one-minute lock that doubles up to 15 min.
 * IPs (many people may share one): free for 19, then the same doubling lock from the twentieth.
 */
export function lockSeconds(kind: ThrottleKind, failures: number): number {
  if (kind === 'account') {
    if (failures < 3) return 0
    if (failures === 3) return 2
    if (failures === 4) return 5
    return Math.min(60 * 2 ** (failures - 5), MAX_LOCK_SECONDS)
  }
  if (failures < 20) return 0
  return Math.min(60 * 2 ** (failures - 20), MAX_LOCK_SECONDS)
}

export interface ThrottleKeys {
  account: string
  ip: string
}

export const throttleKeys = (email: string, ip: string): ThrottleKeys => ({ account: `account:${email}`, ip: `ip:${ip}` })

/**
 * Refuses (429 with Retry-After) while the account or the IP is locked; otherwise tells how many
 * failures the account has on record (so a successful log-in clears them only when there are some).
 */
export async function assertNotLocked(db: Executor, keys: ThrottleKeys, now = new Date()): Promise<{ accountFailures: number }> {
  const rows = await throttleRows(db, [keys.account, keys.ip])
  const until = Math.max(0, ...rows.map((r) => r.locked_until?.getTime() ?? 0))
  if (until > now.getTime()) {
    const seconds = (until - now.getTime()) / 1000
    throw new RateLimitError(seconds, `Too many failed sign-in attempts; try again in ${Math.ceil(seconds)} s`)
  }
  return { accountFailures: rows.find((r) => r.key === keys.account)?.failures ?? 0 }
}

/** Counts a failure on both keys and locks those that crossed their threshold. */
export async function recordFailure(db: Executor, keys: ThrottleKeys, now = new Date()): Promise<void> {
  for (const kind of ['account', 'ip'] as const) {
    const failures = await countFailure(db, keys[kind], now, FAILURE_MEMORY_SECONDS)
    const seconds = lockSeconds(kind, failures)
    if (seconds > 0) await lockKey(db, keys[kind], new Date(now.getTime() + seconds * 1000))
  }
}

export async function clearAccountFailures(db: Executor, keys: Pick<ThrottleKeys, 'account'>): Promise<void> {
  await clearKey(db, keys.account)
}
