// Unit tests of refresh-token rotation and reuse detection, calling the session service directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PublicCtx } from '../../../src/platform/context.js'
import { UnauthenticatedError } from '../../../src/platform/errors.js'
import { newId } from '../../../src/platform/ids.js'
import { createUser } from '../../../src/modules/identity/service/users.js'
import { refreshSession, startSession } from '../../../src/modules/identity/service/sessions.js'
import { createOrganization } from '../../../src/modules/organizations/index.js'
import { createTestApp, type TestApp } from '../../support/app.js'

let t: TestApp
let pctx: PublicCtx
beforeAll(async () => {
  t = await createTestApp()
  pctx = { platform: t.platform, log: t.platform.log, requestId: 'unit', ip: '192.0.2.10', userAgent: 'unit-test' }
})
afterAll(() => t.close())

async function newSession() {
  const userId = newId()
  const orgId = newId()
  const tokens = await t.platform.db.tenant({ orgId, userId }, async (db) => {
    await createUser(db, { id: userId, email: `${userId}@example.com`, password: 'violet-otter-kettle-93', firstName: 'U', lastName: 'T' })
    await createOrganization(db, { id: orgId, name: 'Rotation Ltd', ownerUserId: userId })
    return startSession(pctx, db, { userId, orgId })
  })
  const claims = await t.platform.tokens.verifyAccess(tokens.accessToken)
  return { userId, orgId, tokens, sessionId: claims!.sessionId }
}

const session = (id: string) => t.platform.db.owner.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('refresh-token rotation', () => {
  it('issues a chain of single-use tokens within one session', async () => {
    const s = await newSession()
    let current = s.tokens.refreshToken
    for (let i = 0; i < 3; i++) {
      const next = await refreshSession(pctx, current)
      expect(next.refreshToken).not.toBe(current)
      const claims = await t.platform.tokens.verifyAccess(next.accessToken)
      expect(claims).toEqual({ userId: s.userId, orgId: s.orgId, sessionId: s.sessionId })
      current = next.refreshToken
    }
    const tokens = await t.platform.db.owner.selectFrom('refresh_tokens').selectAll().where('session_id', '=', s.sessionId).execute()
    expect(tokens).toHaveLength(4)
    expect(tokens.filter((r) => r.used_at === null)).toHaveLength(1)
    expect((await session(s.sessionId)).revoked_at).toBeNull()
  })

  it('revokes the family when any earlier token is presented again', async () => {
    const s = await newSession()
    const second = await refreshSession(pctx, s.tokens.refreshToken)
    await refreshSession(pctx, second.refreshToken)
    await expect(refreshSession(pctx, s.tokens.refreshToken)).rejects.toBeInstanceOf(UnauthenticatedError)
    const row = await session(s.sessionId)
    expect(row.revoked_at).not.toBeNull()
    expect(row.revoked_reason).toBe('refresh_token_reused')
  })

  it('lets only one of two concurrent uses of a token through, and then treats the other as reuse', async () => {
    const s = await newSession()
    const results = await Promise.allSettled([refreshSession(pctx, s.tokens.refreshToken), refreshSession(pctx, s.tokens.refreshToken)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
    expect((await session(s.sessionId)).revoked_reason).toBe('refresh_token_reused')
  })

  it('refuses a token of an expired session without revoking it', async () => {
    const s = await newSession()
    await t.platform.db.owner.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', s.sessionId).execute()
    await expect(refreshSession(pctx, s.tokens.refreshToken)).rejects.toMatchObject({ status: 401, code: 'invalid_token' })
    expect((await session(s.sessionId)).revoked_at).toBeNull()
  })

  it('records the client of each refresh on the session', async () => {
    const s = await newSession()
    await refreshSession({ ...pctx, ip: '198.51.100.77', userAgent: 'other-device' }, s.tokens.refreshToken)
    expect(await session(s.sessionId)).toMatchObject({ ip: '198.51.100.77', user_agent: 'other-device' })
  })
})
