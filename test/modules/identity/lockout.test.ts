// Unit tests of the failed-login throttle: the schedule, and its bookkeeping in PostgreSQL driven by an
// explicit clock (no HTTP).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Db } from '../../../src/platform/db/database.js'
import { RateLimitError } from '../../../src/platform/errors.js'
import '../../../src/modules/identity/tables.js'
import {
  assertNotLocked,
  clearAccountFailures,
  FAILURE_MEMORY_SECONDS,
  lockSeconds,
  recordFailure,
  throttleKeys,
} from '../../../src/modules/identity/service/lockout.js'
import { createTestDatabase, type TestDatabase } from '../../support/database.js'

let database: TestDatabase
let db: Db
beforeAll(async () => {
  database = await createTestDatabase()
  db = new Db({ ownerUrl: database.ownerUrl, appUrl: database.appUrl, poolSize: 2, appRoleOption: false })
})
afterAll(async () => {
  await db.close()
  await database.drop()
})

const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000)
const retryAfter = async (p: Promise<unknown>): Promise<number | null> => {
  try {
    await p
    return null
  } catch (err) {
    if (!(err instanceof RateLimitError)) throw err
    return Number(err.headers?.['retry-after'])
  }
}

describe('lock schedule', () => {
  it('lets an account fail twice freely, then delays, then locks for a minute doubling to 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20].map((n) => lockSeconds('account', n))).toEqual([0, 0, 2, 5, 60, 120, 240, 480, 900, 900, 900])
  })

  it('gives an IP (shared by many people) a higher threshold', () => {
    expect(lockSeconds('ip', 19)).toBe(0)
    expect([20, 21, 22, 23, 24, 25].map((n) => lockSeconds('ip', n))).toEqual([60, 120, 240, 480, 900, 900])
  })
})

describe('throttle bookkeeping', () => {
  it('progresses: free, delayed, locked, lock doubling; Retry-After says how long', async () => {
    const keys = throttleKeys('progress@example.com', '192.0.2.1')
    const t0 = new Date('2030-01-01T00:00:00Z')
    const run = <T>(fn: (x: typeof db.owner) => Promise<T>) => db.system(fn)

    await run((x) => recordFailure(x, keys, t0))
    await run((x) => recordFailure(x, keys, at(t0, 1)))
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 1))))).toBeNull()
    expect(await run((x) => assertNotLocked(x, keys, at(t0, 1)))).toEqual({ accountFailures: 2 })
    await run((x) => recordFailure(x, keys, at(t0, 2))) // third: 2 s delay
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 3))))).toBe(1)
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 4))))).toBeNull()
    await run((x) => recordFailure(x, keys, at(t0, 4))) // fourth: 5 s
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 4))))).toBe(5)
    await run((x) => recordFailure(x, keys, at(t0, 10))) // fifth: 60 s
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 10))))).toBe(60)
    await run((x) => recordFailure(x, keys, at(t0, 80))) // sixth: 120 s
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 80))))).toBe(120)
    expect(await retryAfter(run((x) => assertNotLocked(x, keys, at(t0, 201))))).toBeNull()
  })

  it('forgets a count whose last failure is older than the memory window', async () => {
    const keys = throttleKeys('forgetful@example.com', '192.0.2.2')
    const t0 = new Date('2030-01-02T00:00:00Z')
    for (let i = 0; i < 5; i++) await db.system((x) => recordFailure(x, keys, at(t0, i)))
    const later = at(t0, FAILURE_MEMORY_SECONDS + 10)
    await db.system((x) => recordFailure(x, keys, later))
    expect(await retryAfter(db.system((x) => assertNotLocked(x, keys, later)))).toBeNull()
    const row = await db.owner.selectFrom('login_throttles').selectAll().where('key', '=', keys.account).executeTakeFirstOrThrow()
    expect(row.failures).toBe(1)
  })

  it('locks an IP across many accounts, and a success clears only the account', async () => {
    const t0 = new Date('2030-01-03T00:00:00Z')
    for (let i = 0; i < 20; i++) {
      await db.system((x) => recordFailure(x, throttleKeys(`spray-${i}@example.com`, '192.0.2.3'), at(t0, i)))
    }
    const fresh = throttleKeys('someone-else@example.com', '192.0.2.3')
    expect(await retryAfter(db.system((x) => assertNotLocked(x, fresh, at(t0, 20))))).toBe(59)
    const elsewhere = throttleKeys('someone-else@example.com', '192.0.2.4')
    expect(await retryAfter(db.system((x) => assertNotLocked(x, elsewhere, at(t0, 20))))).toBeNull()

    const mine = throttleKeys('spray-0@example.com', '192.0.2.5')
    await db.system((x) => clearAccountFailures(x, mine))
    expect(await db.owner.selectFrom('login_throttles').select('key').where('key', '=', mine.account).executeTakeFirst()).toBeUndefined()
    expect(await db.owner.selectFrom('login_throttles').select('key').where('key', '=', 'ip:192.0.2.3').executeTakeFirst()).toBeDefined()
  })

  it('is invisible to the application role', async () => {
    const rows = await db.tenant({ orgId: null, userId: null }, (x) => x.selectFrom('login_throttles').selectAll().execute())
    expect(rows).toEqual([])
  })
})
