// Opens the database the configuration names: an external PostgreSQL (DATABASE_URL) or the embedded
// one, migrated, with the application pool connected as the row-level-secured app role.
import path from 'node:path'
import pg from 'pg'
import type { Config } from '../../config.js'
import { APP_ROLE, Db } from './database.js'
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js'
import { migrate } from './migrate.js'

export interface OpenedDatabase {
  db: Db
  ownerUrl: string
  embedded: EmbeddedServer | null
  close(): Promise<void>
}

const DB_NAME = 'luminous'

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url)
  u.username = user
  u.password = encodeURIComponent(password)
  return u.toString()
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
  } finally {
    await client.end()
  }
}

/**
 * Waits (briefly) until no other client is connected. Libraries with their own pools (graphile-worker)
 * end them without waiting; a client still connected when the embedded server stops receives a FATAL
 * error that its pool, its listeners already removed, rethrows as an uncaught exception.
 */
async function waitForClientsToLeave(ownerUrl: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'luminous-shutdown' })
  client.on('error', () => {})
  try {
    await client.connect()
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      )
      if (!rows[0]?.n) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } catch {
    // Nothing to wait for if the server cannot be reached.
  } finally {
    await client.end().catch(() => {})
  }
}

export async function openDatabase(
  config: Config,
  log: (msg: string) => void = () => {},
): Promise<OpenedDatabase> {
  let embedded: EmbeddedServer | null = null
  let ownerUrl: string
  let appUrl: string
  let appRoleOption: boolean
  let appPassword: string | undefined
  if (config.DATABASE_URL) {
    ownerUrl = config.DATABASE_URL
    appUrl = config.DATABASE_APP_URL ?? ownerUrl
    appRoleOption = config.DATABASE_APP_URL === undefined
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.DATA_DIR, 'postgres'),
      port: config.EMBEDDED_PG_PORT,
      log: (line) => {
        if (/FATAL|PANIC/.test(line)) log(`postgres: ${line}`)
      },
    })
    await ensureDatabase(embedded.url, DB_NAME)
    ownerUrl = withDatabase(embedded.url, DB_NAME)
    // In embedded mode the app role logs in by itself, so the app pool never holds superuser rights.
    appPassword = embedded.password
    appUrl = withCredentials(ownerUrl, APP_ROLE, appPassword)
    appRoleOption = false
  }
  try {
    if (config.MIGRATE_ON_START || appPassword !== undefined) await migrate(ownerUrl, { appPassword, log })
  } catch (err) {
    await embedded?.stop()
    throw err
  }
  const db = new Db({ ownerUrl, appUrl, poolSize: config.DATABASE_POOL_SIZE, appRoleOption })
  return {
    db,
    ownerUrl,
    embedded,
    async close() {
      await db.close()
      if (embedded) {
        await waitForClientsToLeave(ownerUrl)
        await embedded.stop()
      }
    },
  }
}
