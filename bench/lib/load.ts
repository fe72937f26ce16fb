// HTTP load against 127.0.0.1 for a fixed time: wrk when it is installed (a C client, light on a small
// machine), else autocannon (already a dev dependency). Both report the same normalized figures.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  connections: number
  durationS: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Request bodies, used in turn (one per request). */
  bodies?: string[]
}

export interface LoadResult {
  client: string
  requests: number
  durationS: number
  rps: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Connection, read, write errors and timeouts. */
  errors: number
  non2xx: number
}

let wrkVersion: string | null | undefined
/** "wrk 4.1.0", or null when wrk is not on the PATH (or BENCH_CLIENT=autocannon). */
export function wrkAvailable(): string | null {
  if (wrkVersion !== undefined) return wrkVersion
  if (process.env.BENCH_CLIENT === 'autocannon') return (wrkVersion = null)
  try {
    execFileSync('wrk', ['-v'], { stdio: 'pipe' })
    wrkVersion = 'wrk'
  } catch (err) {
    // `wrk -v` prints its version and exits 1.
    const out = String((err as { stdout?: Buffer }).stdout ?? '')
    const m = /wrk (\S+)/.exec(out)
    wrkVersion = m ? `wrk ${m[1]!.replace(/^debian\//, '')}` : null
  }
  return wrkVersion
}

export const loadClient = (): string => wrkAvailable() ?? `autocannon ${autocannonVersion()}`

function autocannonVersion(): string {
  return (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version
}

export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return wrkAvailable() ? runWrk(opts) : runAutocannon(opts)
}

const luaString = (s: string): string => `[==[${s}]==]`

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-wrk-'))
  const script = path.join(dir, 'bench.lua')
  const headerLines = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`)
    .join('\n')
  const bodies = opts.bodies ?? []
  writeFileSync(
    script,
    `wrk.method = "${opts.method ?? 'GET'}"
${headerLines}
local bodies = { ${bodies.map(luaString).join(', ')} }
local n = 0
${
  bodies.length > 0
    ? `request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end`
    : ''
}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT %d %d %d %d %d %d %d %d %d %d\\n', summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`,
  )
  try {
    const threads = Math.min(2, opts.connections)
    const args = ['-t', String(threads), '-c', String(opts.connections), '-d', `${opts.durationS}s`]
    args.push('--timeout', '10s', '-s', script, opts.url)
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      child.stdout.on('data', (c: Buffer) => (text += c.toString()))
      child.stderr.on('data', (c: Buffer) => (text += c.toString()))
      child.once('error', reject)
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`)),
      )
    })
    const m = /RESULT ([\d ]+)/.exec(out)
    if (!m) throw new Error(`unexpected wrk output: ${out}`)
    const [requests, durationUs, connect, read, write, status, timeout, p50, p99, max] = m[1]!
      .trim()
      .split(' ')
      .map(Number) as [number, number, number, number, number, number, number, number, number, number]
    const durationS = durationUs / 1e6
    return {
      client: wrkAvailable()!,
      requests,
      durationS,
      rps: requests / durationS,
      p50Ms: p50 / 1000,
      p99Ms: p99 / 1000,
      maxMs: max / 1000,
      errors: connect + read + write + timeout,
      non2xx: status,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const bodies = opts.bodies ?? []
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    ...(bodies.length > 0
      ? { requests: bodies.map((body) => ({ method: opts.method ?? 'POST', body })) }
      : {}),
  })
  return {
    client: `autocannon ${autocannonVersion()}`,
    requests: result.requests.total,
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}

/** Throws unless (nearly) every request succeeded: a benchmark of error responses measures nothing. */
export function assertClean(label: string, r: LoadResult): void {
  const bad = r.errors + r.non2xx
  if (r.requests === 0 || bad > r.requests * 0.001) {
    throw new Error(
      `${label}: ${r.non2xx} non-2xx responses and ${r.errors} errors out of ${r.requests} requests`,
    )
  }
}
