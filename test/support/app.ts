// Builds a real Luminous app over a fresh database for one test file. Requests go through
// `app.inject` (the full Fastify pipeline, no socket) or, after `listen()`, over real HTTP.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { Db } from '../../src/platform/db/database.js'
import { createLogger } from '../../src/platform/logger.js'
import type { Platform } from '../../src/platform/platform.js'
import { assemble } from '../../src/server.js'
import { createTestDatabase, type TestDatabase } from './database.js'

export interface TestApp {
  app: FastifyInstance
  platform: Platform
  database: TestDatabase
  config: Config
  /** Base URL of the listening server (`realtime: true` only): Socket.IO and real HTTP. */
  url: string | null
  /** `app.inject` with JSON helpers: `await t.request({ method: 'GET', url: '/api/v1/auth/me', token })`. */
  request(opts: TestRequest): Promise<TestResponse>
  close(): Promise<void>
}

export interface TestRequest extends Omit<InjectOptions, 'headers'> {
  token?: string
  apiKey?: string
  headers?: Record<string, string>
}

export interface TestResponse extends LightMyRequestResponse {
  /** Parsed JSON body (or undefined for an empty body). */
  data: any // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
}

export interface TestAppOptions {
  /** Extra routes (throwaway test routes) registered after the modules, before the app is ready. */
  routes?: (app: FastifyInstance, platform: Platform) => void | Promise<void>
  /** Listen on a real port on 127.0.0.1 with Socket.IO, the outbox dispatcher and the event stream running. */
  realtime?: boolean
}

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'luminous-files-'))
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    DATABASE_URL: database.ownerUrl,
    DATABASE_APP_URL: database.appUrl,
    MIGRATE_ON_START: 'false',
    RUN_WORKER: 'false',
    JWT_SECRET: 'test-jwt-secret-test-jwt-secret-1234',
    ENCRYPTION_KEY: 'test-encryption-key-test-encryption',
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
    ...env,
  })
  const log = createLogger(config)
  const db = new Db({ ownerUrl: database.ownerUrl, appUrl: database.appUrl, poolSize: 5, appRoleOption: false })
  const platform = assemble(config, { db, ownerUrl: database.ownerUrl, embedded: null, close: () => db.close() }, log)
  const app = await buildApp(platform)
  if (options.routes) await options.routes(app, platform)
  await app.ready()
  let url: string | null = null
  if (options.realtime) {
    await platform.realtime.start(app.server)
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  }
  return {
    app,
    platform,
    database,
    config,
    url,
    async request({ token, apiKey, headers, ...opts }) {
      const res = (await app.inject({
        ...opts,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(apiKey ? { 'x-api-key': apiKey } : {}),
          ...headers,
        },
      })) as TestResponse
      const type = String(res.headers['content-type'] ?? '')
      res.data = type.includes('json') && res.body ? JSON.parse(res.body) : undefined
      return res
    },
    async close() {
      await platform.realtime.stop()
      await app.close()
      await platform.jobs.stop()
      await db.close()
      await database.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
