// Row-level security is the tenant boundary: these tests talk to PostgreSQL as the application role.
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Db } from '../../src/platform/db/database.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'

let database: TestDatabase
let db: Db
const orgA = '01900000-0000-7000-8000-00000000000a'
const orgB = '01900000-0000-7000-8000-00000000000b'

beforeAll(async () => {
  database = await createTestDatabase()
  db = new Db({ ownerUrl: database.ownerUrl, appUrl: database.appUrl, poolSize: 2, appRoleOption: false })
  // Seed two organizations' audit rows as the owner.
  await sql`INSERT INTO organizations (id, name, slug) VALUES (${orgA}, 'A', 'a'), (${orgB}, 'B', 'b')`.execute(db.owner)
  await sql`INSERT INTO audit_logs (org_id, actor_type, entity, entity_id, action)
    VALUES (${orgA}, 'system', 'thing', '1', 'created'), (${orgB}, 'system', 'thing', '2', 'created')`.execute(db.owner)
})
afterAll(async () => {
  await db.close()
  await database.drop()
})

describe('row-level security', () => {
  it('connects as a role that is neither superuser nor BYPASSRLS', async () => {
    const { rows } = await sql<{ rolsuper: boolean; rolbypassrls: boolean; current_user: string }>`
      SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user`.execute(db.app)
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, current_user: 'luminous_app' })
  })

  it('sees no tenant rows without an organization set', async () => {
    const { rows } = await sql`SELECT * FROM audit_logs`.execute(db.app)
    expect(rows).toHaveLength(0)
    const orgs = await sql`SELECT * FROM organizations`.execute(db.app)
    expect(orgs.rows).toHaveLength(0)
  })

  it('sees only the rows of the organization set for the transaction', async () => {
    const rows = await db.tenant({ orgId: orgA, userId: null }, (tx) => tx.selectFrom('audit_logs').select('entity_id').execute())
    expect(rows.map((r) => r.entity_id)).toEqual(['1'])
  })

  it('refuses writes to another organization', async () => {
    await expect(
      db.tenant({ orgId: orgA, userId: null }, (tx) =>
        tx.insertInto('audit_logs').values({ org_id: orgB, actor_type: 'system', actor_id: null, entity: 'x', entity_id: '3', action: 'created', changes: null, request_id: null, ip: null }).execute(),
      ),
    ).rejects.toThrow(/row-level security/)
    const updated = await db.tenant({ orgId: orgA, userId: null }, (tx) =>
      tx.updateTable('audit_logs').set({ action: 'hacked' }).where('entity_id', '=', '2').executeTakeFirst(),
    )
    expect(updated.numUpdatedRows).toBe(0n)
  })

  it('does not leak the tenant setting to the next user of a pooled connection', async () => {
    await db.tenant({ orgId: orgA, userId: null }, async () => {})
    const { rows } = await sql<{ org: string | null }>`SELECT current_org_id() AS org`.execute(db.app)
    expect(rows[0]?.org).toBeNull()
  })

  it('gives every table with an org_id column a tenant policy', async () => {
    const c = new pg.Client({ connectionString: database.ownerUrl })
    await c.connect()
    const { rows } = await c.query<{ table: string; rls: boolean; policies: number }>(`
      SELECT cls.relname AS table, cls.relrowsecurity AS rls,
        (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = cls.oid) AS policies
      FROM pg_class cls JOIN pg_namespace n ON n.oid = cls.relnamespace
      WHERE n.nspname = 'public' AND cls.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = cls.oid AND a.attname = 'org_id' AND NOT a.attisdropped)`)
    await c.end()
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) expect({ table: r.table, rls: r.rls, hasPolicy: r.policies > 0 }).toEqual({ table: r.table, rls: true, hasPolicy: true })
  })
})
