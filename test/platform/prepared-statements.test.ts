// Tenant transactions prepare their statements once per connection (and the guard's prelude rides on
// BEGIN as PREPARE/EXECUTE). These tests pin the behaviour that makes that safe: same answers on reuse,
// recovery when a statement's result type changes under it, and a broken prelude not poisoning the pool.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Db, type Prelude } from '../../src/platform/db/database.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'

let database: TestDatabase
let db: Db
const org = '01900000-0000-7000-8000-0000000000c1'

beforeAll(async () => {
  database = await createTestDatabase()
  // One connection, so every transaction below reuses the statements prepared by the previous ones.
  db = new Db({ ownerUrl: database.ownerUrl, appUrl: database.appUrl, poolSize: 1, appRoleOption: false })
  await sql`INSERT INTO organizations (id, name, slug) VALUES (${org}, 'C', 'c')`.execute(db.owner)
  await sql`CREATE TABLE prepared_probe (id int PRIMARY KEY, label text)`.execute(db.owner)
  await sql`GRANT SELECT ON prepared_probe TO luminous_app`.execute(db.owner)
  await sql`INSERT INTO prepared_probe VALUES (1, 'one'), (2, 'two')`.execute(db.owner)
})
afterAll(async () => {
  await db.close()
  await database.drop()
})

const probe = (id: number) =>
  db.tenant(
    { orgId: org, userId: null },
    async (tx) => (await sql`SELECT * FROM prepared_probe WHERE id = ${id}`.execute(tx)).rows,
  )

const prepared = async (): Promise<string[]> =>
  db.tenant({ orgId: org, userId: null }, async (tx) =>
    (await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(tx)).rows.map(
      (r) => r.name,
    ),
  )

describe('prepared statements in tenant transactions', () => {
  it('prepares a statement once per connection and answers the same on reuse', async () => {
    expect(await probe(1)).toEqual([{ id: 1, label: 'one' }])
    expect(await probe(2)).toEqual([{ id: 2, label: 'two' }])
    expect(await probe(1)).toEqual([{ id: 1, label: 'one' }])
    const names = await prepared()
    // The probe's statement and the pg_prepared_statements query, each prepared exactly once.
    expect(names.filter((n) => n.startsWith('lum_'))).toHaveLength(2)
  })

  it('fails once when the result type changes under a statement, then prepares it afresh', async () => {
    await sql`ALTER TABLE prepared_probe ADD COLUMN extra int NOT NULL DEFAULT 7`.execute(db.owner)
    await expect(probe(1)).rejects.toMatchObject({ code: '0A000' })
    expect(await probe(1)).toEqual([{ id: 1, label: 'one', extra: 7 }])
  })

  it('keeps a prelude prepared across transactions on the same connection', async () => {
    const prelude: Prelude = {
      name: 'test_org_name',
      definition: '(uuid) AS SELECT name FROM organizations WHERE id = $1',
      args: [org],
    }
    for (let i = 0; i < 3; i++) {
      const tx = await db.begin({ orgId: org, userId: null }, prelude)
      expect(tx.preludeRows).toEqual([{ name: 'C' }])
      await tx.commit()
    }
    expect((await prepared()).filter((n) => n.startsWith('test_org_name_'))).toHaveLength(1)
  })

  it('recovers from a prelude that failed to prepare', async () => {
    const broken: Prelude = {
      name: 'test_broken',
      definition: '(uuid) AS SELECT nope FROM organizations WHERE id = $1',
      args: [org],
    }
    await expect(db.begin({ orgId: org, userId: null }, broken)).rejects.toMatchObject({ code: '42703' })
    const fixed: Prelude = { ...broken, definition: '(uuid) AS SELECT slug FROM organizations WHERE id = $1' }
    const tx = await db.begin({ orgId: org, userId: null }, fixed)
    expect(tx.preludeRows).toEqual([{ slug: 'c' }])
    await tx.commit()
    // The connection is still usable for ordinary work.
    expect(await probe(2)).toEqual([{ id: 2, label: 'two', extra: 7 }])
  })
})
