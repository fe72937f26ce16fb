// CLI entry: `start` (default) serves the API, `worker` runs background jobs only, `migrate` applies
// migrations and exits.
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './platform/db/connect.js'
import { EmbeddedPostgresError } from './platform/db/embedded.js'
import { createLogger } from './platform/logger.js'

const command = process.argv[2] ?? 'start'

function fail(message: string): never {
  process.stderr.write(`\nluminous: ${message}\n\n`)
  process.exit(1)
}

function onSignals(stop: () => Promise<void>, log: { info(m: string): void; error(o: object, m: string): void }) {
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      log.info(`${signal} received, shutting down`)
      const timer = setTimeout(() => {
        log.error({}, 'shutdown took longer than 25 s; exiting')
        process.exit(1)
      }, 25_000)
      timer.unref()
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error during shutdown')
          process.exit(1)
        },
      )
    })
  }
}

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`)
    throw err
  }
  const log = createLogger(config)
  // The application (every module, the AWS SDK, sharp...) is loaded only once the configuration is
  // known to be good, so that a bad setting is reported at once.
  const { assemble, startServer } = await import('./server.js')
  try {
    if (command === 'migrate') {
      const database = await openDatabase({ ...config, MIGRATE_ON_START: true }, (m) => log.info(m))
      await database.close()
      log.info('migrations are up to date')
      return
    }
    if (command === 'worker') {
      const database = await openDatabase(config, (m) => log.info(m))
      const platform = assemble(config, database, log)
      await platform.jobs.start(config.WORKER_CONCURRENCY)
      log.info(`worker running ${platform.jobs.taskNames.length} task types`)
      onSignals(async () => {
        await platform.jobs.stop()
        await database.close()
      }, log)
      return
    }
    if (command !== 'start') fail(`unknown command "${command}" (use start, worker or migrate)`)
    const server = await startServer(config)
    log.info(`Luminous is listening on ${config.PUBLIC_URL} — API reference at ${config.PUBLIC_URL}/docs`)
    onSignals(() => server.close(), log)
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) fail(err.message)
    if (err instanceof Error && /ECONNREFUSED|password authentication failed|does not exist/.test(err.message)) {
      fail(`cannot use the database: ${err.message}`)
    }
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
      fail(`port ${config.PORT} is already in use; set PORT to a free port`)
    }
    throw err
  }
}

await main()
