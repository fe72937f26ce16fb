// Runs the real Luminous CLI (`node --import tsx src/main.ts start`, or a compiled build of it) as a
// child process on 127.0.0.1 with its own data directory and ports, the way a user starts it, and
// stops it (and its embedded PostgreSQL) however the run ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { settings } from '../../src/config.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** A data directory every parent of which is traversable (the embedded PostgreSQL may run as another user). */
export function tempDataDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `luminous-bench-${label}-`))
  chmodSync(dir, 0o755)
  return dir
}

export interface StartOptions {
  /** Data directory to use (kept); default: a new temporary one (removed by `stop({ removeData: true })`). */
  dataDir?: string
  /** Extra settings; the bench defaults below make the server production-like and quiet. */
  env?: Record<string, string>
  /** Run this compiled entry (`.../src/main.js`) with plain node instead of tsx on the sources. */
  compiledMain?: string
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeArgs?: string[]
  readyTimeoutMs?: number
}

export interface LuminousProcess {
  url: string
  port: number
  pgPort: number
  dataDir: string
  pid: number
  /** Milliseconds from spawn to the first `/readyz` 200. */
  readyMs: number
  /** Owner (superuser) URL of the embedded PostgreSQL, for baselines and pgbench on the same data. */
  ownerUrl(): string
  /** Resident set size of the Node process in bytes, from /proc. */
  rssBytes(): number
  /** The last lines the process wrote, for error messages. */
  output(): string
  /** SIGTERM, wait for the exit (a graceful shutdown), clean up. Resolves to the exit code. */
  stop(opts?: { removeData?: boolean }): Promise<number | null>
}

const live = new Set<LuminousProcess>()
// However the benchmark ends, no server or embedded PostgreSQL is left running.
process.once('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {
      /* already gone */
    }
    killOrphanPostgres(p.dataDir)
  }
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

function killOrphanPostgres(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  if (!pid) return
  try {
    process.kill(pid, 'SIGQUIT') // immediate shutdown of the postmaster and its children
  } catch {
    /* not running */
  }
}

export const benchSecret = (): string => randomBytes(32).toString('base64url')

/** Environment of the child: the parent's minus any Luminous setting, plus the bench's. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!(k in settings)) env[k] = v
  return { ...env, ...extra }
}

export async function waitReady(
  url: string,
  started: number,
  timeoutMs: number,
  child: ChildProcess,
): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error('the server exited before it was ready')
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200) return performance.now() - started
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function startLuminous(opts: StartOptions = {}): Promise<LuminousProcess> {
  const dataDir = opts.dataDir ?? tempDataDir('data')
  const port = await freePort()
  const pgPort = await freePort()
  const env = childEnv({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    DATA_DIR: dataDir,
    JWT_SECRET: benchSecret(),
    ENCRYPTION_KEY: benchSecret(),
    // The benchmarks measure throughput from one client address and account, which the limits would stop.
    RATE_LIMIT_MAX: '100000000',
    AUTH_RATE_LIMIT_MAX: '100000000',
    ...opts.env,
  })
  const args = opts.compiledMain
    ? [...(opts.nodeArgs ?? []), opts.compiledMain, 'start']
    : [...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts', 'start']
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (lines.length > 200) lines.splice(0, lines.length - 200)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`

  const proc: LuminousProcess = {
    url,
    port,
    pgPort,
    dataDir,
    pid: child.pid!,
    readyMs: Number.NaN,
    ownerUrl() {
      const { password } = JSON.parse(
        readFileSync(path.join(dataDir, 'postgres.credentials.json'), 'utf8'),
      ) as {
        password: string
      }
      return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/luminous`
    },
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1])
      return kb * 1024
    },
    output: () => lines.join('\n'),
    async stop({ removeData = opts.dataDir === undefined } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
        await exited
        clearTimeout(timer)
      }
      const code = await exited
      if (code !== 0)
        process.stderr.write(
          `  warning: Luminous exited with code ${code} on SIGTERM:\n${proc.output().split('\n').slice(-8).join('\n')}\n`,
        )
      killOrphanPostgres(dataDir)
      live.delete(proc)
      if (removeData) rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
  live.add(proc)
  try {
    proc.readyMs = await waitReady(url, started, opts.readyTimeoutMs ?? 120_000, child)
  } catch (err) {
    const out = proc.output()
    await proc.stop()
    throw new Error(`Luminous did not start: ${(err as Error).message}\n--- its output ---\n${out}`, {
      cause: err,
    })
  }
  return proc
}

/** Sum of the resident set sizes of the embedded PostgreSQL processes (shared memory counted in each). */
export function postgresRssBytes(dataDir: string): number {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid')
  if (!existsSync(pidFile)) return Number.NaN
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  let total = 0
  const pids = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
  for (const entry of pids) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (entry !== postmaster && ppid !== postmaster) continue
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0)
      total += kb * 1024
    } catch {
      /* exited meanwhile */
    }
  }
  return total
}
