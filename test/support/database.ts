// A fresh database per test file, cloned from the migrated template in milliseconds.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { APP_ROLE } from '../../src/platform/db/database.js'
import { APP_PASSWORD, TEMPLATE_DB } from './constants.js'


export interface TestDatabase {
  name: string
  /** Owner (superuser) URL: migrations, jobs, system work, and assertions that must see every tenant. */
  ownerUrl: string
  /** URL of the row-level-secured application role. */
  appUrl: string
  drop(): Promise<void>
}

function urlFor(server: string, db: string, user?: string, password?: string): string {
  const u = new URL(server)
  u.pathname = `/${db}`
  if (user) {
    u.username = user
    u.password = password ?? ''
  }
  return u.toString()
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = inject('pgServerUrl')
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
  await admin.end()
  return {
    name,
    ownerUrl: urlFor(server, name),
    appUrl: urlFor(server, name, APP_ROLE, APP_PASSWORD),
    async drop() {
      const c = new pg.Client({ connectionString: server })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}
