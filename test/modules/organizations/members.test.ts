// Members: list, read, change role, remove and leave, with the role hierarchy and the last-owner rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { apiKeyFor, lastAudit, lastEvent, paths } from './helpers.js'

let t: TestApp
let owner: SignedUp
let outsider: SignedUp
beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t, { firstName: 'Olive', lastName: 'Owner' })
  outsider = await signUp(t)
})
afterAll(() => t.close())

const req = (method: 'GET' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: object) =>
  t.request({ method, url, ...(token ? { token } : {}), ...(payload ? { payload } : {}) })
const setRole = (token: string | undefined, userId: string, role: string) => req('PATCH', `/api/v1/members/${userId}`, token, { role })
const remove = (token: string | undefined, userId: string) => req('DELETE', `/api/v1/members/${userId}`, token)

describe('GET /api/v1/members', () => {
  let agent: SignedUp
  beforeAll(async () => {
    agent = await addMember(t, owner, 'agent', { firstName: 'Grace', lastName: 'Hopper' })
  })

  it('lists the members with name, e-mail, role and joinedAt, oldest first', async () => {
    const res = await req('GET', '/api/v1/members', agent.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.data[0]).toEqual({
      userId: owner.user.id,
      email: owner.email,
      firstName: 'Olive',
      lastName: 'Owner',
      role: 'owner',
      joinedAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    expect(res.data.data.map((m: { userId: string }) => m.userId)).toContain(agent.user.id)
    expect(res.data.data.map((m: { userId: string }) => m.userId)).not.toContain(outsider.user.id)
  })

  it('filters by role and searches name and e-mail', async () => {
    const agents = await req('GET', '/api/v1/members?filter[role][eq]=agent', owner.accessToken)
    expect(agents.data.data.map((m: { userId: string }) => m.userId)).toEqual([agent.user.id])
    const several = await req('GET', '/api/v1/members?filter[role][in]=owner,agent&count=true', owner.accessToken)
    expect(several.data.total).toBe(2)
    const byName = await req('GET', '/api/v1/members?q=hopp', owner.accessToken)
    expect(byName.data.data.map((m: { userId: string }) => m.userId)).toEqual([agent.user.id])
    const byFullName = await req('GET', '/api/v1/members?q=grace%20hopper', owner.accessToken)
    expect(byFullName.data.data).toHaveLength(1)
    const byEmail = await req('GET', `/api/v1/members?q=${encodeURIComponent(owner.email.slice(0, 12))}`, owner.accessToken)
    expect(byEmail.data.data.map((m: { userId: string }) => m.userId)).toEqual([owner.user.id])
  })

  it('pages with a cursor and sorts', async () => {
    const first = await req('GET', '/api/v1/members?limit=1&sort=-joinedAt', owner.accessToken)
    expect(first.data.hasMore).toBe(true)
    expect(first.data.data[0].userId).toBe(agent.user.id)
    const second = await req('GET', `/api/v1/members?limit=1&sort=-joinedAt&cursor=${encodeURIComponent(first.data.nextCursor)}`, owner.accessToken)
    expect(second.data.data[0].userId).toBe(owner.user.id)
    expect(second.data.hasMore).toBe(false)
  })

  it.each([
    ['filter[role][eq]=pilot', 'filter.role.eq'],
    ['filter[password][eq]=x', 'filter.password'],
    ['sort=password', 'sort'],
    ['limit=0', 'limit'],
  ])('refuses %s', async (query, path) => {
    const res = await req('GET', `/api/v1/members?${query}`, owner.accessToken)
    expect(res.statusCode).toBe(400)
    expect(paths(res).join(' ')).toContain(path.split('.')[0])
  })

  it('answers 401 without credentials and 403 to a key without members:read', async () => {
    expect((await req('GET', '/api/v1/members')).statusCode).toBe(401)
    const key = await apiKeyFor(t, owner.accessToken, ['organization:read'])
    const res = await t.request({ method: 'GET', url: '/api/v1/members', apiKey: key })
    expect(res.statusCode).toBe(403)
  })

  it('reads one member, and 404 for a user of another organization', async () => {
    const res = await req('GET', `/api/v1/members/${agent.user.id}`, owner.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.role).toBe('agent')
    expect((await req('GET', `/api/v1/members/${outsider.user.id}`, owner.accessToken)).statusCode).toBe(404)
    expect((await req('GET', '/api/v1/members/not-a-uuid', owner.accessToken)).statusCode).toBe(400)
  })
})

describe('PATCH /api/v1/members/:userId', () => {
  it('changes the role, audits it, announces member.updated and applies at once', async () => {
    const member = await addMember(t, owner, 'agent')
    const res = await setRole(owner.accessToken, member.user.id, 'manager')
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ userId: member.user.id, role: 'manager' })
    const audit = await lastAudit(t, owner.organization.id, 'membership')
    expect(audit).toMatchObject({ entity_id: member.user.id, action: 'role_changed', actor_id: owner.user.id, changes: { role: { from: 'agent', to: 'manager' } } })
    const event = await lastEvent(t, owner.organization.id, 'member.updated')
    expect(event?.rooms).toEqual([`org:${owner.organization.id}`, `user:${member.user.id}`])
    expect(event?.payload).toMatchObject({ userId: member.user.id, role: 'manager' })
    // The guard reads the role from the database on every request: a manager may create teams.
    const team = await t.request({ method: 'POST', url: '/api/v1/teams', token: member.accessToken, payload: { name: 'Promoted' } })
    expect(team.statusCode).toBe(201)
  })

  it('validates the body and the id', async () => {
    const member = await addMember(t, owner, 'agent')
    const bad = await setRole(owner.accessToken, member.user.id, 'emperor')
    expect(bad.statusCode).toBe(400)
    expect(paths(bad)).toContain('role')
    const extra = await req('PATCH', `/api/v1/members/${member.user.id}`, owner.accessToken, { role: 'viewer', salary: 1 })
    expect(extra.statusCode).toBe(400)
    expect((await setRole(owner.accessToken, 'nope', 'viewer')).statusCode).toBe(400)
    expect((await req('GET', `/api/v1/members/${member.user.id}`, owner.accessToken)).data.role).toBe('agent')
  })

  it('answers 401 without credentials', async () => {
    expect((await setRole(undefined, owner.user.id, 'viewer')).statusCode).toBe(401)
  })

  it.each(['manager', 'agent', 'viewer'] as const)('answers 403 to a %s', async (role) => {
    const actor = await addMember(t, owner, role)
    const target = await addMember(t, owner, 'viewer')
    const res = await setRole(actor.accessToken, target.user.id, 'agent')
    expect(res.statusCode).toBe(403)
  })

  it('answers 404 for a member of another organization', async () => {
    const res = await setRole(owner.accessToken, outsider.user.id, 'viewer')
    expect(res.statusCode).toBe(404)
    const theirs = await req('GET', `/api/v1/members/${outsider.user.id}`, outsider.accessToken)
    expect(theirs.data.role).toBe('owner')
  })

  it('lets an admin grant up to admin, but not owner, and not touch an owner', async () => {
    const admin = await addMember(t, owner, 'admin')
    const member = await addMember(t, owner, 'viewer')
    expect((await setRole(admin.accessToken, member.user.id, 'admin')).statusCode).toBe(200)
    const toOwner = await setRole(admin.accessToken, member.user.id, 'owner')
    expect(toOwner.statusCode).toBe(403)
    expect(toOwner.data.error.code).toBe('owner_required')
    const demoteOwner = await setRole(admin.accessToken, owner.user.id, 'admin')
    expect(demoteOwner.statusCode).toBe(403)
    expect(demoteOwner.data.error.code).toBe('owner_required')
  })

  it('lets an API key with members:manage change roles below owner only', async () => {
    const key = await apiKeyFor(t, owner.accessToken, ['members:manage', 'members:read'])
    const member = await addMember(t, owner, 'viewer')
    const ok = await t.request({ method: 'PATCH', url: `/api/v1/members/${member.user.id}`, apiKey: key, payload: { role: 'agent' } })
    expect(ok.statusCode).toBe(200)
    const audit = await lastAudit(t, owner.organization.id, 'membership')
    expect(audit?.actor_type).toBe('api_key')
    const owned = await t.request({ method: 'PATCH', url: `/api/v1/members/${member.user.id}`, apiKey: key, payload: { role: 'owner' } })
    expect(owned.statusCode).toBe(403)
  })

  it('keeps at least one owner', async () => {
    const solo = await signUp(t)
    const res = await setRole(solo.accessToken, solo.user.id, 'admin')
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('last_owner')
    const second = await addMember(t, solo, 'admin')
    expect((await setRole(solo.accessToken, second.user.id, 'owner')).statusCode).toBe(200)
    expect((await setRole(solo.accessToken, solo.user.id, 'admin')).statusCode).toBe(200)
  })

  it('lets only one of two owners demoting each other at once succeed', async () => {
    const a = await signUp(t)
    const b = await addMember(t, a, 'owner')
    const results = await Promise.all([setRole(a.accessToken, b.user.id, 'admin'), setRole(b.accessToken, a.user.id, 'admin')])
    // The loser is refused either as the last owner (422) or, if the winner committed before its
    // request started, as a no-longer-owner (403); never do both succeed.
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes[0]).toBe(200)
    expect([403, 422]).toContain(codes[1])
    const owners = await t.platform.db.owner
      .selectFrom('memberships')
      .select('user_id')
      .where('org_id', '=', a.organization.id)
      .where('role', '=', 'owner')
      .execute()
    expect(owners).toHaveLength(1)
  })

  it('changes nothing and records nothing when the role is the same', async () => {
    const member = await addMember(t, owner, 'agent')
    const before = await lastAudit(t, owner.organization.id, 'membership')
    const res = await setRole(owner.accessToken, member.user.id, 'agent')
    expect(res.statusCode).toBe(200)
    expect((await lastAudit(t, owner.organization.id, 'membership'))?.id).toBe(before?.id)
  })
})

describe('DELETE /api/v1/members/:userId', () => {
  it('removes a member, whose token then stops working', async () => {
    const member = await addMember(t, owner, 'agent')
    const res = await remove(owner.accessToken, member.user.id)
    expect(res.statusCode).toBe(204)
    expect((await req('GET', `/api/v1/members/${member.user.id}`, owner.accessToken)).statusCode).toBe(404)
    expect((await req('GET', '/api/organizations/current', member.accessToken)).statusCode).toBe(401)
    const audit = await lastAudit(t, owner.organization.id, 'membership')
    expect(audit).toMatchObject({ entity_id: member.user.id, action: 'removed', changes: { role: { from: 'agent', to: null } } })
    const event = await lastEvent(t, owner.organization.id, 'member.removed')
    expect(event?.payload).toEqual({ orgId: owner.organization.id, userId: member.user.id })
  })

  it('lets anyone leave, recorded as such', async () => {
    const viewer = await addMember(t, owner, 'viewer')
    expect((await remove(viewer.accessToken, viewer.user.id)).statusCode).toBe(204)
    expect((await lastAudit(t, owner.organization.id, 'membership'))?.action).toBe('left')
  })

  it('answers 403 when a member without members:manage removes someone else', async () => {
    const agent = await addMember(t, owner, 'agent')
    const target = await addMember(t, owner, 'viewer')
    const res = await remove(agent.accessToken, target.user.id)
    expect(res.statusCode).toBe(403)
    expect((await req('GET', `/api/v1/members/${target.user.id}`, owner.accessToken)).statusCode).toBe(200)
  })

  it('does not let an admin remove an owner', async () => {
    const admin = await addMember(t, owner, 'admin')
    const res = await remove(admin.accessToken, owner.user.id)
    expect(res.statusCode).toBe(403)
    expect(res.data.error.code).toBe('owner_required')
  })

  it('does not let the last owner leave', async () => {
    const solo = await signUp(t)
    const res = await remove(solo.accessToken, solo.user.id)
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('last_owner')
  })

  it('answers 404 for a user of another organization and 400 for a bad id', async () => {
    expect((await remove(owner.accessToken, outsider.user.id)).statusCode).toBe(404)
    expect((await remove(owner.accessToken, '123')).statusCode).toBe(400)
  })

  it('answers 401 without credentials', async () => {
    expect((await remove(undefined, owner.user.id)).statusCode).toBe(401)
  })

  it('drops a removed member from the teams of the organization', async () => {
    const member = await addMember(t, owner, 'agent')
    const team = await t.request({ method: 'POST', url: '/api/v1/teams', token: owner.accessToken, payload: { name: 'Leavers', memberIds: [member.user.id] } })
    expect(team.data.memberCount).toBe(1)
    await remove(owner.accessToken, member.user.id)
    const after = await t.request({ method: 'GET', url: `/api/v1/teams/${team.data.id}`, token: owner.accessToken })
    expect(after.data.members).toEqual([])
  })
})
