// Access-token verification is hand-rolled for speed, so it is held to what jose would enforce.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TokenService } from '../../src/platform/auth/tokens.js'

const secret = 'a-test-secret-of-at-least-32-characters!'
const tokens = new TokenService(secret, 900)
const claims = {
  userId: '01900000-0000-7000-8000-000000000001',
  orgId: '01900000-0000-7000-8000-000000000002',
  sessionId: '01900000-0000-7000-8000-000000000003',
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
function forge(header: unknown, payload: unknown, key = secret): string {
  const body = `${b64(header)}.${b64(payload)}`
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`
}
const now = () => Math.floor(Date.now() / 1000)
const good = () => ({ sub: claims.userId, org: claims.orgId, sid: claims.sessionId, iss: 'luminous', iat: now(), exp: now() + 60 })

describe('access tokens', () => {
  it('round-trips the claims it signs', async () => {
    const { token } = await tokens.signAccess(claims)
    expect(await tokens.verifyAccess(token)).toEqual(claims)
  })

  it('accepts a token signed the same way by hand', async () => {
    expect(await tokens.verifyAccess(forge({ alg: 'HS256', typ: 'JWT' }, good()))).toEqual(claims)
  })

  it.each([
    ['a tampered payload', async () => {
      const [h, , sig] = (await tokens.signAccess(claims)).token.split('.')
      return `${h}.${b64({ ...good(), org: '01900000-0000-7000-8000-000000000009' })}.${sig}`
    }],
    ['another key', async () => forge({ alg: 'HS256', typ: 'JWT' }, good(), 'another-secret-of-at-least-32-characters')],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64(good())}.`],
    ['alg HS512 with a valid HS256 MAC', async () => forge({ alg: 'HS512' }, good())],
    ['a crit header', async () => forge({ alg: 'HS256', crit: ['x'] }, good())],
    ['expiry in the past', async () => forge({ alg: 'HS256' }, { ...good(), exp: now() - 1 })],
    ['no expiry', async () => forge({ alg: 'HS256' }, { ...good(), exp: undefined })],
    ['not yet valid', async () => forge({ alg: 'HS256' }, { ...good(), nbf: now() + 60 })],
    ['another issuer', async () => forge({ alg: 'HS256' }, { ...good(), iss: 'someone' })],
    ['a subject that is not a UUID', async () => forge({ alg: 'HS256' }, { ...good(), sub: 'admin' })],
    ['garbage', async () => 'not.a.jwt'],
    ['two parts', async () => 'abc.def'],
    ['a payload that is not an object', async () => forge({ alg: 'HS256' }, [1, 2])],
  ])('refuses %s', async (_name, make) => {
    expect(await tokens.verifyAccess(await make())).toBeNull()
  })
})
