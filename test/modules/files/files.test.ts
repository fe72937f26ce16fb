// GET and DELETE /api/v1/files/:id: tenancy, permissions and who may delete what; the bytes of a
// deleted file are removed by the files.purge job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'
import { addMember, signUp, type SignedUp } from '../../support/factories.js'
import { runJobs } from '../../support/jobs.js'
import { saveImage } from '../../../src/modules/files/index.js'
import { ctxFor, download, inTx, multipartFile, pdf, png, upload } from './helpers.js'

let t: TestApp
let owner: SignedUp
let manager: SignedUp
let agent: SignedUp
let viewer: SignedUp
let stranger: SignedUp

beforeAll(async () => {
  t = await createTestApp()
  owner = await signUp(t)
  manager = await addMember(t, owner, 'manager')
  agent = await addMember(t, owner, 'agent')
  viewer = await addMember(t, owner, 'viewer')
  stranger = await signUp(t)
})
afterAll(() => t.close())

async function uploadPdf(who: SignedUp, name = 'doc.pdf') {
  const res = await upload(t, who.accessToken, { data: pdf(), filename: name })
  expect(res.statusCode).toBe(201)
  return res.data as { id: string; url: string }
}

const storageKey = async (id: string) =>
  (await t.platform.db.owner.selectFrom('files').select('storage_key').where('id', '=', id).executeTakeFirstOrThrow()).storage_key

describe('GET /api/v1/files/:id', () => {
  it('returns the metadata and a fresh signed URL to any member with files:read', async () => {
    const file = await uploadPdf(agent, 'brief.pdf')
    const res = await t.request({ method: 'GET', url: `/api/files/${file.id}`, token: viewer.accessToken })
    expect(res.statusCode).toBe(200)
    expect(res.data).toMatchObject({ id: file.id, name: 'brief.pdf', contentType: 'application/pdf', kind: 'document', ownerId: agent.user.id })
    const got = await download(t, res.data.url)
    expect(got.statusCode).toBe(200)
    expect(got.rawPayload).toEqual(pdf())
    // PDFs display in the browser; the name travels along.
    expect(got.headers['content-disposition']).toBe(`inline; filename="brief.pdf"; filename*=UTF-8''brief.pdf`)
  })

  it('answers 404 for another organization’s file and for an unknown id', async () => {
    const file = await uploadPdf(owner)
    const foreign = await t.request({ method: 'GET', url: `/api/v1/files/${file.id}`, token: stranger.accessToken })
    expect(foreign.statusCode).toBe(404)
    expect(foreign.data.error.code).toBe('not_found')
    const unknown = await t.request({ method: 'GET', url: '/api/v1/files/0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11', token: owner.accessToken })
    expect(unknown.statusCode).toBe(404)
  })

  it('answers 400 for a malformed id and 401 without credentials', async () => {
    const bad = await t.request({ method: 'GET', url: '/api/v1/files/not-a-uuid', token: owner.accessToken })
    expect(bad.statusCode).toBe(400)
    expect(bad.data.error.details[0].path).toBe('id')
    const anonymous = await t.request({ method: 'GET', url: '/api/v1/files/0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('answers 403 to an API key without files:read', async () => {
    const key = await t.request({ method: 'POST', url: '/api/v1/api-keys', token: owner.accessToken, payload: { name: 'no files', permissions: ['organization:read'] } })
    expect(key.statusCode).toBe(201)
    const file = await uploadPdf(owner)
    const res = await t.request({ method: 'GET', url: `/api/v1/files/${file.id}`, apiKey: key.data.key })
    expect(res.statusCode).toBe(403)
  })
})

describe('DELETE /api/v1/files/:id', () => {
  it('lets the uploader delete their file; the bytes go once the purge job runs', async () => {
    const file = await uploadPdf(agent)
    const key = await storageKey(file.id)
    const res = await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: agent.accessToken })
    expect(res.statusCode).toBe(204)
    expect((await t.request({ method: 'GET', url: `/api/v1/files/${file.id}`, token: agent.accessToken })).statusCode).toBe(404)
    expect(await t.platform.storage.exists(key)).toBe(true)
    await runJobs(t)
    expect(await t.platform.storage.exists(key)).toBe(false)
    // A URL signed before the deletion now finds nothing.
    expect((await download(t, file.url)).statusCode).toBe(404)
    const row = await t.platform.db.owner.selectFrom('files').select('deleted_at').where('id', '=', file.id).executeTakeFirstOrThrow()
    expect(row.deleted_at).toBeInstanceOf(Date)
    const audit = await t.platform.db.owner.selectFrom('audit_logs').selectAll().where('entity_id', '=', file.id).where('action', '=', 'deleted').executeTakeFirst()
    expect(audit).toMatchObject({ actor_id: agent.user.id, entity: 'file' })
  })

  it('needs files:manage to delete someone else’s file', async () => {
    const file = await uploadPdf(owner)
    const byAgent = await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: agent.accessToken })
    expect(byAgent.statusCode).toBe(403)
    expect((await t.request({ method: 'GET', url: `/api/v1/files/${file.id}`, token: owner.accessToken })).statusCode).toBe(200)
    const byManager = await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: manager.accessToken })
    expect(byManager.statusCode).toBe(204)
  })

  it('answers 403 to a role without files:write, 404 across organizations and twice, 401 anonymously, 400 for a bad id', async () => {
    const file = await uploadPdf(owner)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: viewer.accessToken })).statusCode).toBe(403)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: stranger.accessToken })).statusCode).toBe(404)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}` })).statusCode).toBe(401)
    expect((await t.request({ method: 'DELETE', url: '/api/v1/files/nope', token: owner.accessToken })).statusCode).toBe(400)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: owner.accessToken })).statusCode).toBe(204)
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: owner.accessToken })).statusCode).toBe(404)
  })

  it('leaves avatars and logos to their own routes (422)', async () => {
    const avatar = await saveImage(ctxFor(t, owner), multipartFile(await png(), 'me.png', 'image/png'), {
      purpose: 'avatar',
      maxBytes: 1_000_000,
      maxWidth: 256,
      maxHeight: 256,
    })
    const res = await t.request({ method: 'DELETE', url: `/api/v1/files/${avatar.id}`, token: owner.accessToken })
    expect(res.statusCode).toBe(422)
    expect(res.data.error.code).toBe('file_in_use')
    expect(await inTx(t, owner, async (ctx) => (await ctx.db.selectFrom('files').select('deleted_at').where('id', '=', avatar.id).executeTakeFirstOrThrow()).deleted_at)).toBeNull()
  })
})
