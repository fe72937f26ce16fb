// Teams: create, read, rename, delete, and their members (only members of the organization).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { apiKeyFor, lastAudit, paths } from './helpers.js'

let t: TestApp
let owner: SignedUp
let manager: SignedUp
let agent: SignedUp
let viewer: SignedUp
let outsider: SignedUp
beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t)
  manager = await addMember(t, owner, 'manager', { firstName: 'Mia', lastName: 'Manager' })
  agent = await addMember(t, owner, 'agent', { firstName: 'Abe', lastName: 'Agent' })
  viewer = await addMember(t, owner, 'viewer')
  outsider = await signUp(t)
})
afterAll(() => t.close())

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
const req = (method: Method, url: string, token?: string, payload?: object) =>
  t.request({ method, url, ...(token ? { token } : {}), ...(payload ? { payload } : {}) })
const create = (token: string | undefined, payload: object) => req('POST', '/api/v1/teams', token, payload)

describe('POST /api/v1/teams', () => {
  it('creates a team with members and audits it', async () => {
    const res = await create(manager.accessToken, { name: '  Support ', description: 'First line', memberIds: [agent.user.id, viewer.user.id] })
    expect(res.statusCode).toBe(201)
    expect(res.data).toMatchObject({ name: 'Support', description: 'First line', memberCount: 2 })
    expect(res.data.members.map((m: { userId: string }) => m.userId).sort()).toEqual([agent.user.id, viewer.user.id].sort())
    expect(res.data.members.find((m: { userId: string }) => m.userId === agent.user.id)).toMatchObject({ firstName: 'Abe', role: 'agent' })
    const audit = await lastAudit(t, owner.organization.id, 'team')
    expect(audit).toMatchObject({ entity_id: res.data.id, action: 'created', actor_id: manager.user.id })
  })

  it('refuses a duplicate name, ignoring case (409)', async () => {
    const res = await create(owner.accessToken, { name: 'SUPPORT' })
    expect(res.statusCode).toBe(409)
    expect(res.data.error.code).toBe('team_name_taken')
  })

  it('allows the same name in another organization', async () => {
    expect((await create(outsider.accessToken, { name: 'Support' })).statusCode).toBe(201)
  })

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 'Ok', memberIds: ['nope'] }, 'memberIds.0'],
    [{ name: 'Ok', colour: 'red' }, 'colour'],
  ])('refuses %j naming %s', async (payload, path) => {
    const res = await create(owner.accessToken, payload)
    expect(res.statusCode).toBe(400)
    expect(paths(res)).toContain(path)
  })

  it('refuses users who are not members of the organization, naming them, and creates nothing', async () => {
    const res = await create(owner.accessToken, { name: 'Mixed', memberIds: [agent.user.id, outsider.user.id] })
    expect(res.statusCode).toBe(400)
    expect(paths(res)).toEqual(['memberIds.1'])
    const list = await req('GET', '/api/v1/teams?filter[name][eq]=Mixed', owner.accessToken)
    expect(list.data.data).toEqual([])
  })

  it('answers 401 without credentials and 403 to agents and viewers', async () => {
    expect((await create(undefined, { name: 'X' })).statusCode).toBe(401)
    expect((await create(agent.accessToken, { name: 'X' })).statusCode).toBe(403)
    expect((await create(viewer.accessToken, { name: 'X' })).statusCode).toBe(403)
  })
})

describe('GET /api/v1/teams and /api/v1/teams/:id', () => {
  it('lists teams by name with member counts, searchable; any member may read', async () => {
    await create(owner.accessToken, { name: 'Billing' })
    const res = await req('GET', '/api/v1/teams', viewer.accessToken)
    expect(res.statusCode).toBe(200)
    const names = res.data.data.map((x: { name: string }) => x.name)
    expect(names).toEqual([...names].sort((a: string, b: string) => a.localeCompare(b)))
    expect(res.data.data.find((x: { name: string }) => x.name === 'Support').memberCount).toBe(2)
    const found = await req('GET', '/api/v1/teams?q=bill', viewer.accessToken)
    expect(found.data.data.map((x: { name: string }) => x.name)).toEqual(['Billing'])
    expect((await req('GET', '/api/v1/teams?sort=colour', viewer.accessToken)).statusCode).toBe(400)
  })

  it('shows only teams of the caller’s organization; another organization’s team is 404', async () => {
    const theirs = await req('GET', '/api/v1/teams', outsider.accessToken)
    expect(theirs.data.data.map((x: { name: string }) => x.name)).toEqual(['Support'])
    const id = theirs.data.data[0].id
    expect((await req('GET', `/api/v1/teams/${id}`, owner.accessToken)).statusCode).toBe(404)
    expect((await req('GET', `/api/v1/teams/${id}`, outsider.accessToken)).statusCode).toBe(200)
  })

  it('answers 401 without credentials, 403 to a key without members:read and 400 for a bad id', async () => {
    expect((await req('GET', '/api/v1/teams')).statusCode).toBe(401)
    const key = await apiKeyFor(t, owner.accessToken, ['organization:read'])
    expect((await t.request({ method: 'GET', url: '/api/v1/teams', apiKey: key })).statusCode).toBe(403)
    expect((await req('GET', '/api/v1/teams/abc', owner.accessToken)).statusCode).toBe(400)
  })
})

describe('PATCH and DELETE /api/v1/teams/:id', () => {
  it('renames and describes, audited with before and after', async () => {
    const team = (await create(owner.accessToken, { name: 'Sales' })).data
    const res = await req('PATCH', `/api/v1/teams/${team.id}`, manager.accessToken, { name: 'Field Sales', description: 'On the road' })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ name: 'Field Sales', description: 'On the road' })
    const audit = await lastAudit(t, owner.organization.id, 'team')
    expect(audit?.changes).toEqual({ name: { from: 'Sales', to: 'Field Sales' }, description: { from: null, to: 'On the road' } })
  })

  it('allows changing only the case of the name, refuses another team’s name', async () => {
    const team = (await create(owner.accessToken, { name: 'Ops' })).data
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, owner.accessToken, { name: 'OPS' })).statusCode).toBe(200)
    const clash = await req('PATCH', `/api/v1/teams/${team.id}`, owner.accessToken, { name: 'billing' })
    expect(clash.statusCode).toBe(409)
  })

  it('validates, and answers 401, 403 and 404 (other organization)', async () => {
    const team = (await create(owner.accessToken, { name: 'Temp' })).data
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, owner.accessToken, {})).statusCode).toBe(400)
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, owner.accessToken, { name: '' })).statusCode).toBe(400)
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, undefined, { name: 'Y' })).statusCode).toBe(401)
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, agent.accessToken, { name: 'Y' })).statusCode).toBe(403)
    expect((await req('PATCH', `/api/v1/teams/${team.id}`, outsider.accessToken, { name: 'Y' })).statusCode).toBe(404)
    expect((await req('DELETE', `/api/v1/teams/${team.id}`, outsider.accessToken)).statusCode).toBe(404)
    expect((await req('DELETE', `/api/v1/teams/${team.id}`, agent.accessToken)).statusCode).toBe(403)
    expect((await req('DELETE', `/api/v1/teams/${team.id}`)).statusCode).toBe(401)
    expect((await req('GET', `/api/v1/teams/${team.id}`, owner.accessToken)).data.name).toBe('Temp')
  })

  it('deletes a team and audits what it was', async () => {
    const team = (await create(owner.accessToken, { name: 'Gone', memberIds: [agent.user.id] })).data
    expect((await req('DELETE', `/api/v1/teams/${team.id}`, manager.accessToken)).statusCode).toBe(204)
    expect((await req('GET', `/api/v1/teams/${team.id}`, owner.accessToken)).statusCode).toBe(404)
    const audit = await lastAudit(t, owner.organization.id, 'team')
    expect(audit).toMatchObject({ action: 'deleted', changes: { name: 'Gone', memberIds: [agent.user.id] } })
  })
})

describe('team members', () => {
  let teamId: string
  beforeAll(async () => {
    teamId = (await create(owner.accessToken, { name: 'Desk' })).data.id
  })

  it('sets the members exactly (PUT), auditing who was added and removed', async () => {
    let res = await req('PUT', `/api/v1/teams/${teamId}/members`, manager.accessToken, { userIds: [agent.user.id, viewer.user.id] })
    expect(res.statusCode).toBe(200)
    expect(res.data.memberCount).toBe(2)
    res = await req('PUT', `/api/v1/teams/${teamId}/members`, manager.accessToken, { userIds: [viewer.user.id, manager.user.id] })
    expect(res.data.members.map((m: { userId: string }) => m.userId).sort()).toEqual([viewer.user.id, manager.user.id].sort())
    const audit = await lastAudit(t, owner.organization.id, 'team')
    expect(audit).toMatchObject({ action: 'members_set', changes: { added: [manager.user.id], removed: [agent.user.id] } })
    res = await req('PUT', `/api/v1/teams/${teamId}/members`, manager.accessToken, { userIds: [] })
    expect(res.data.members).toEqual([])
  })

  it('refuses non-members and duplicates in a set, changing nothing', async () => {
    await req('PUT', `/api/v1/teams/${teamId}/members`, owner.accessToken, { userIds: [agent.user.id] })
    const res = await req('PUT', `/api/v1/teams/${teamId}/members`, owner.accessToken, { userIds: [viewer.user.id, outsider.user.id] })
    expect(res.statusCode).toBe(400)
    expect(paths(res)).toEqual(['userIds.1'])
    const dup = await req('PUT', `/api/v1/teams/${teamId}/members`, owner.accessToken, { userIds: [viewer.user.id, viewer.user.id] })
    expect(dup.statusCode).toBe(400)
    const team = await req('GET', `/api/v1/teams/${teamId}`, owner.accessToken)
    expect(team.data.members.map((m: { userId: string }) => m.userId)).toEqual([agent.user.id])
  })

  it('adds and removes one member', async () => {
    let res = await req('POST', `/api/v1/teams/${teamId}/members/${viewer.user.id}`, owner.accessToken)
    expect(res.statusCode).toBe(200)
    expect(res.data.memberCount).toBe(2)
    res = await req('POST', `/api/v1/teams/${teamId}/members/${viewer.user.id}`, owner.accessToken)
    expect(res.data.memberCount).toBe(2)
    expect((await req('DELETE', `/api/v1/teams/${teamId}/members/${viewer.user.id}`, owner.accessToken)).statusCode).toBe(204)
    expect((await req('DELETE', `/api/v1/teams/${teamId}/members/${viewer.user.id}`, owner.accessToken)).statusCode).toBe(404)
  })

  it('answers 404 for a user or a team of another organization', async () => {
    expect((await req('POST', `/api/v1/teams/${teamId}/members/${outsider.user.id}`, owner.accessToken)).statusCode).toBe(404)
    expect((await req('PUT', `/api/v1/teams/${teamId}/members`, outsider.accessToken, { userIds: [] })).statusCode).toBe(404)
    expect((await req('POST', `/api/v1/teams/${teamId}/members/${outsider.user.id}`, outsider.accessToken)).statusCode).toBe(404)
  })

  it('answers 401 and 403', async () => {
    expect((await req('PUT', `/api/v1/teams/${teamId}/members`, undefined, { userIds: [] })).statusCode).toBe(401)
    expect((await req('PUT', `/api/v1/teams/${teamId}/members`, agent.accessToken, { userIds: [] })).statusCode).toBe(403)
    expect((await req('POST', `/api/v1/teams/${teamId}/members/${agent.user.id}`, viewer.accessToken)).statusCode).toBe(403)
    expect((await req('DELETE', `/api/v1/teams/${teamId}/members/${agent.user.id}`, viewer.accessToken)).statusCode).toBe(403)
  })
})

describe('Idempotency-Key on POST /api/v1/teams', () => {
  it('replays the first response for a retried key and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'create-team-retry-1' }
    const first = await t.request({ method: 'POST', url: '/api/v1/teams', token: owner.accessToken, headers, payload: { name: 'Retry' } })
    const retry = await t.request({ method: 'POST', url: '/api/v1/teams', token: owner.accessToken, headers, payload: { name: 'Retry' } })
    expect(first.statusCode).toBe(201)
    expect(retry.statusCode).toBe(201)
    expect(retry.data.id).toBe(first.data.id)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    const other = await t.request({ method: 'POST', url: '/api/v1/teams', token: owner.accessToken, headers, payload: { name: 'Other' } })
    expect(other.statusCode).toBe(422)
  })
})

describe('POST actions without input', () => {
  it('take no body or an empty object, and refuse fields', async () => {
    const team = (await create(owner.accessToken, { name: 'Bodyless' })).data
    const url = `/api/v1/teams/${team.id}/members/${agent.user.id}`
    expect((await req('POST', url, owner.accessToken)).statusCode).toBe(200)
    expect((await req('POST', url, owner.accessToken, {})).statusCode).toBe(200)
    const extra = await req('POST', url, owner.accessToken, { role: 'lead' })
    expect(extra.statusCode).toBe(400)
    expect(paths(extra)).toEqual(['role'])
  })
})
