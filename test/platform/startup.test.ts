// What `npm start` does on a fresh clone: the real CLI in a child process, no DATABASE_URL, so it
// initialises an embedded PostgreSQL, migrates it and serves; SIGTERM drains and stops everything.
// Then the same data directory again (warm start, data kept), and the start-up failures a user meets
// most (busy ports, a data directory that is not PostgreSQL's) as one clear line.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '../..')
const dirs: string[] = []
const running = new Set<Cli>()

interface Cli {
  child: ChildProcess
  output(): string
  stderr(): string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
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

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

function occupy(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(port, host, () => resolve(srv))
  })
}

/** A data directory the `postgres` user (created when tests run as root) can traverse. */
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-start-'))
  chmodSync(dir, 0o755)
  dirs.push(dir)
  return dir
}

/** `npm start`: the environment of a fresh clone, with only ports and the data directory chosen. */
function start(env: { PORT: number; EMBEDDED_PG_PORT: number; DATA_DIR: string }): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(env.PORT),
      EMBEDDED_PG_PORT: String(env.EMBEDDED_PG_PORT),
      DATA_DIR: env.DATA_DIR,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const cli: Cli = { child, output: () => `${out}\n--- stderr ---\n${err}`, stderr: () => err, exit }
  running.add(cli)
  void exit.then(() => running.delete(cli))
  return cli
}

async function waitReady(cli: Cli, port: number, timeoutMs: number): Promise<number> {
  const started = Date.now()
  let exited = false
  void cli.exit.then(() => (exited = true))
  while (Date.now() - started < timeoutMs) {
    if (exited) throw new Error(`the server exited before it was ready:\n${cli.output()}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (res.status === 200) return Date.now() - started
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${cli.output()}`)
}

async function exitWithin(cli: Cli, ms: number) {
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${cli.output()}`)), ms))
  return Promise.race([cli.exit, timer])
}

/** The owner URL of the embedded cluster, from the credentials it keeps beside its data. */
function ownerUrl(dir: string, pgPort: number): string {
  const { password } = JSON.parse(readFileSync(path.join(dir, 'postgres.credentials.json'), 'utf8')) as { password: string }
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/luminous`
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

/**
 * Sends a request's headers and half its body, then returns a function that sends the rest and
 * resolves with the response's status line: a request in flight while the server shuts down.
 */
async function halfSentRequest(port: number): Promise<() => Promise<string>> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const body = JSON.stringify({ name: 'in flight during shutdown' })
  socket.write(
    `POST /api/v1/no-such-thing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  )
  let response = ''
  socket.on('data', (c: Buffer) => (response += c.toString()))
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return async () => {
    socket.write(body.slice(10))
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))])
    socket.destroy()
    return response.split('\r\n')[0] ?? ''
  }
}

afterEach(async () => {
  // A failed test must not leave a server (or its PostgreSQL) behind.
  for (const cli of running) {
    cli.child.kill('SIGTERM')
    await exitWithin(cli, 30_000).catch(() => cli.child.kill('SIGKILL'))
  }
})

afterAll(() => {
  for (const dir of dirs) {
    const pidFile = path.join(dir, 'postgres', 'postmaster.pid')
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGINT')
        } catch {
          // already gone
        }
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
})

describe('npm start', { timeout: 180_000 }, () => {
  const dir = dataDir()
  let pgPort: number

  it('cold-starts on an empty data directory, serves, drains and stops cleanly on SIGTERM', async () => {
    const port = await freePort()
    pgPort = await freePort()
    const cli = start({ PORT: port, EMBEDDED_PG_PORT: pgPort, DATA_DIR: dir })
    const ms = await waitReady(cli, port, 150_000)
    console.log(`cold start to /readyz: ${ms} ms`)
    expect(existsSync(path.join(dir, 'postgres', 'PG_VERSION'))).toBe(true)

    const docs = await fetch(`http://127.0.0.1:${port}/docs`)
    expect(docs.status).toBe(200)
    expect(docs.headers.get('content-type')).toMatch(/text\/html/)
    const openapi = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)
    expect(openapi.status).toBe(200)
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0')
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: Record<string, string> }
    expect(ready.checks).toEqual({ database: 'ok', jobs: 'ok' })

    // Something to find after the restart.
    await query(ownerUrl(dir, pgPort), `CREATE TABLE startup_marker (v text); INSERT INTO startup_marker VALUES ('kept')`)

    const finish = await halfSentRequest(port)
    cli.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 500))
    expect(cli.child.exitCode, 'waits for the request in flight').toBeNull()
    expect(await finish()).toMatch(/^HTTP\/1\.1 404/)

    const { code, signal } = await exitWithin(cli, 30_000)
    expect({ code, signal }, cli.output()).toEqual({ code: 0, signal: null })
    expect(await portFree(port, '0.0.0.0')).toBe(true)
    expect(await portFree(pgPort), 'the embedded PostgreSQL is stopped').toBe(true)
    expect(existsSync(path.join(dir, 'postgres', 'postmaster.pid'))).toBe(false)
    expect(cli.stderr()).toBe('')
  })

  it('warm-starts on the same data directory with the data kept', async () => {
    const port = await freePort()
    const cli = start({ PORT: port, EMBEDDED_PG_PORT: pgPort, DATA_DIR: dir })
    const ms = await waitReady(cli, port, 60_000)
    console.log(`warm start to /readyz: ${ms} ms`)
    const rows = await query<{ v: string }>(ownerUrl(dir, pgPort), 'SELECT v FROM startup_marker')
    expect(rows).toEqual([{ v: 'kept' }])
    cli.child.kill('SIGINT')
    expect(await exitWithin(cli, 30_000)).toEqual({ code: 0, signal: null })
    expect(await portFree(pgPort)).toBe(true)
  })

  it('says in one line that the HTTP port is busy, and stops the embedded PostgreSQL it started', async () => {
    const port = await freePort()
    const blocker = await occupy(port, '0.0.0.0')
    try {
      const cli = start({ PORT: port, EMBEDDED_PG_PORT: pgPort, DATA_DIR: dir })
      expect(await exitWithin(cli, 60_000)).toEqual({ code: 1, signal: null })
      expect(cli.stderr().trim()).toBe(`luminous: port ${port} is already in use; set PORT to a free port`)
      expect(await portFree(pgPort)).toBe(true)
    } finally {
      blocker.close()
    }
  })
})

describe('start-up failures', { timeout: 60_000 }, () => {
  it('says in one line that EMBEDDED_PG_PORT is busy', async () => {
    const pgPort = await freePort()
    const blocker = await occupy(pgPort, '127.0.0.1')
    try {
      const cli = start({ PORT: await freePort(), EMBEDDED_PG_PORT: pgPort, DATA_DIR: dataDir() })
      expect(await exitWithin(cli, 30_000)).toEqual({ code: 1, signal: null })
      const message = cli.stderr().trim()
      expect(message.split('\n')).toHaveLength(1)
      expect(message).toMatch(new RegExp(`^luminous: Port ${pgPort} for the embedded PostgreSQL is busy\\. Set EMBEDDED_PG_PORT`))
    } finally {
      blocker.close()
    }
  })

  it('refuses a non-empty data directory that is not PostgreSQL’s, in one line', async () => {
    const dir = dataDir()
    mkdirSync(path.join(dir, 'postgres'))
    writeFileSync(path.join(dir, 'postgres', 'notes.txt'), 'not a database')
    const cli = start({ PORT: await freePort(), EMBEDDED_PG_PORT: await freePort(), DATA_DIR: dir })
    expect(await exitWithin(cli, 30_000)).toEqual({ code: 1, signal: null })
    const message = cli.stderr().trim()
    expect(message.split('\n')).toHaveLength(1)
    expect(message).toMatch(/^luminous: .*postgres exists but is not a PostgreSQL data directory/)
    expect(readFileSync(path.join(dir, 'postgres', 'notes.txt'), 'utf8')).toBe('not a database')
  })
})
