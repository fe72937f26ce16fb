// Starts Luminous nodes as separate processes (test/support/node-process.ts) over a test database, each
// on its own port, so a test can show what crosses between nodes.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestApp } from './app.js'

export interface NodeProcess {
  url: string
  adapter: 'postgres' | 'redis'
  stop(): Promise<void>
}

const ENTRY = path.join(import.meta.dirname, 'node-process.ts')

/** Environment of a node sharing `t`'s database and secrets (so `t`'s tokens work on it). */
export function nodeEnv(t: TestApp, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: t.database.ownerUrl,
    DATABASE_APP_URL: t.database.appUrl,
    MIGRATE_ON_START: 'false',
    RUN_WORKER: 'false',
    JWT_SECRET: t.config.JWT_SECRET,
    ENCRYPTION_KEY: t.config.ENCRYPTION_KEY,
    RATE_LIMIT_MAX: '100000',
    ...extra,
  }
}

export function startNode(env: Record<string, string>, timeoutMs = 45_000): Promise<NodeProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'luminous-node-'))
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_|REDIS_URL|PORT$|EVENTS_|SOCKET_)/.test(k)),
  ) as Record<string, string>
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...inherited, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`node did not start in ${timeoutMs} ms: ${stderr}`))
    }, timeoutMs)
    let buffered = ''
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.startsWith('{"ready"')) continue
        clearTimeout(timer)
        const { ready, adapter } = JSON.parse(line) as { ready: string; adapter: NodeProcess['adapter'] }
        resolve({ url: ready, adapter, stop })
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`node exited with ${code} before it was ready: ${stderr}`))
    })
  })
}
