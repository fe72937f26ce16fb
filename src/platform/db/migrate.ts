// Applies db/migrations/NNNN_*.sql in order, each once and in its own transaction, under an advisory
// lock so that nodes starting together do not race. Applied files are checksummed: editing a landed
// migration is refused. Also installs graphile-worker's schema and the application role's grants.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Logger, runMigrations as runWorkerMigrations } from 'graphile-worker'
import pg from 'pg'
import { APP_ROLE } from './database.js'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../db/migrations')
const LOCK_ID = 7_462_001

export interface MigrateOptions {
  /** Gives the app role a login with this password (embedded mode). */
  appPassword?: string
  log?: (msg: string) => void
}

export async function migrate(ownerUrl: string, opts: MigrateOptions = {}): Promise<string[]> {
  const log = opts.log ?? (() => {})
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'luminous-migrate' })
  await client.connect()
  const applied: string[] = []
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID])
    await ensureAppRole(client, opts.appPassword)
    await client.query(`CREATE TABLE IF NOT EXISTS luminous_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Map(
      (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM luminous_migrations')).rows.map(
        (r) => [r.name, r.checksum],
      ),
    )
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
    for (const file of files) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')
      const checksum = createHash('sha256').update(sql).digest('hex')
      const prior = done.get(file)
      if (prior !== undefined) {
        if (prior !== checksum) throw new Error(`Migration ${file} was edited after it was applied; add a new migration instead`)
        continue
      }
      await client.query('BEGIN')
      try {
        await client.query(sql)
        await client.query('INSERT INTO luminous_migrations (name, checksum) VALUES ($1, $2)', [file, checksum])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw new Error(`Migration ${file} failed: ${(err as Error).message}`, { cause: err })
      }
      applied.push(file)
      log(`migration applied: ${file}`)
    }
    await runWorkerMigrations({ connectionString: ownerUrl, logger: silentWorkerLogger })
    await client.query(`
      GRANT USAGE ON SCHEMA graphile_worker TO ${APP_ROLE};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA graphile_worker TO ${APP_ROLE};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA graphile_worker TO ${APP_ROLE};
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO ${APP_ROLE};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE};`)
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => {})
    await client.end()
  }
  return applied
}

async function ensureAppRole(client: pg.Client, password?: string): Promise<void> {
  await client.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
      CREATE ROLE ${APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF; END $$`)
  const { rows } = await client.query<{ member: boolean }>(
    `SELECT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') AS member`,
  )
  if (!rows[0]?.member) await client.query(`GRANT ${APP_ROLE} TO current_user`)
  if (password !== undefined) {
    await client.query(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD ${client.escapeLiteral(password)}`)
  }
  await client.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`)
  await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE}`)
  await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE}`)
}

const silentWorkerLogger = new Logger(() => () => {})
