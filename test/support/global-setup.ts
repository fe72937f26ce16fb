// Starts one embedded PostgreSQL for the whole run (or uses TEST_DATABASE_URL), migrates a template
// database once, and hands its address to the test files; each file clones its own database from it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/db/embedded.js'
import { migrate } from '../../src/platform/db/migrate.js'
import { APP_PASSWORD, TEMPLATE_DB } from './constants.js'


declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

let server: EmbeddedServer | null = null
let dir: string | null = null

export async function setup(project: TestProject): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) {
    // Not under /root: the postgres user created for root runs must traverse every parent.
    dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-test-'))
    chmodSync(dir, 0o755)
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), fast: true })
    serverUrl = server.url
  }
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  await admin.end()
  const u = new URL(serverUrl)
  u.pathname = `/${TEMPLATE_DB}`
  await migrate(u.toString(), { appPassword: APP_PASSWORD })
  project.provide('pgServerUrl', serverUrl)
}

export async function teardown(): Promise<void> {
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
}
