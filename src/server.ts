// Starts and stops a whole Luminous node: database (embedded or external), migrations, job runner,
// HTTP + Socket.IO. Used by `npm start`, the tests that boot a real process, and the benchmarks.
import type { FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { buildApp } from './app.js'
import { modules } from './modules/index.js'
import { openDatabase, type OpenedDatabase } from './platform/db/connect.js'
import { registerIdempotencyCleanup, scheduleIdempotencyCleanup } from './platform/http/idempotency.js'
import { createLogger } from './platform/logger.js'
import { createPlatform, type Platform } from './platform/platform.js'

export interface RunningServer {
  app: FastifyInstance
  platform: Platform
  url: string
  close(): Promise<void>
}

/** Builds the platform over an opened database and registers every module's jobs. */
export function assemble(config: Config, database: OpenedDatabase, log = createLogger(config)): Platform {
  const platform = createPlatform({ config, db: database.db, ownerUrl: database.ownerUrl, log })
  registerIdempotencyCleanup(platform.jobs, platform.db.owner)
  for (const mod of modules) mod.jobs?.(platform)
  return platform
}

export async function startServer(config: Config): Promise<RunningServer> {
  const log = createLogger(config)
  const database = await openDatabase(config, (msg) => log.info(msg))
  const platform = assemble(config, database, log)
  const app = await buildApp(platform)
  try {
    // Socket.IO shares the HTTP server and port; attached before listening so no handshake meets a 404.
    await platform.realtime.start(app.server)
    await app.listen({ port: config.PORT, host: config.HOST })
    await scheduleIdempotencyCleanup(platform.jobs, platform.db.owner)
    if (config.RUN_WORKER) await platform.jobs.start(config.WORKER_CONCURRENCY)
  } catch (err) {
    await platform.realtime.stop().catch(() => {})
    await app.close().catch(() => {})
    await database.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  let closing: Promise<void> | null = null
  return {
    app,
    platform,
    url: `http://127.0.0.1:${port}`,
    // Stop accepting, drain requests and sockets, finish running jobs, then close the database.
    close: () =>
      (closing ??= (async () => {
        // Sockets first: an open WebSocket would hold the HTTP server's close; clients reconnect elsewhere.
        await platform.realtime.stop()
        await app.close()
        await platform.jobs.stop()
        await database.close()
      })()),
  }
}
