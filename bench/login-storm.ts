// A login storm must not stall the rest: logins (argon2id at full cost) from many connections saturate
// the CPU while a second client measures `/healthz` latency at a steady 100 requests per second.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { register, type Account } from './lib/accounts.js'
import { assertClean, runLoad, type LoadResult } from './lib/load.js'
import { startLuminous } from './lib/luminous.js'
import type { Section } from './lib/report.js'
import { fmt, median, percentile } from './lib/stats.js'

export interface LoginStormOptions {
  rounds: number
  durationS: number
  log: (line: string) => void
}

const LOGIN_CONNECTIONS = 16
const ACCOUNTS = 8
const PROBE_INTERVAL_MS = 10

interface Probe {
  samplesMs: number[]
  failures: number
}

/** GET /healthz every 10 ms over one kept-alive connection until `stopAt`; latencies in ms. */
async function probe(url: string, durationMs: number): Promise<Probe> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const out: Probe = { samplesMs: [], failures: 0 }
  const stopAt = performance.now() + durationMs
  let next = performance.now()
  while (performance.now() < stopAt) {
    const t0 = performance.now()
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(`${url}/healthz`, { agent }, (res) => {
        res.resume()
        res.once('end', () => resolve(res.statusCode === 200))
      })
      req.once('error', () => resolve(false))
    })
    const elapsed = performance.now() - t0
    if (ok) out.samplesMs.push(elapsed)
    else out.failures++
    next += PROBE_INTERVAL_MS
    const wait = next - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    else next = performance.now()
  }
  agent.destroy()
  return out
}

/** Busy share of all CPUs between two /proc/stat readings. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = fields[3]! + (fields[4] ?? 0)
  const total = fields.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

export async function runLoginStorm(opts: LoginStormOptions): Promise<Section> {
  const { log } = opts
  const server = await startLuminous({ env: { ACCESS_TOKEN_TTL: '7200' } })
  try {
    const accounts: Account[] = []
    for (let i = 0; i < ACCOUNTS; i++) accounts.push(await register(server.url, i))
    const bodies = accounts.map((a) => JSON.stringify({ email: a.email, password: a.password }))

    const idle = await probe(server.url, 5000)
    log(
      `  idle /healthz: p50 ${fmt(percentile(idle.samplesMs, 50), 2)} ms, p99 ${fmt(percentile(idle.samplesMs, 99), 2)} ms`,
    )

    const rounds: {
      logins: LoadResult
      p50: number
      p99: number
      max: number
      samples: number
      failures: number
      cpu: number
    }[] = []
    for (let i = 0; i < opts.rounds; i++) {
      const c0 = cpuTimes()
      const storm = runLoad({
        url: `${server.url}/api/v1/auth/login`,
        method: 'POST',
        connections: LOGIN_CONNECTIONS,
        durationS: opts.durationS,
        headers: { 'content-type': 'application/json' },
        bodies,
      })
      // Measure while the storm is at full strength: start after 1 s, stop 1 s before it ends.
      await new Promise((r) => setTimeout(r, 1000))
      const p = await probe(server.url, (opts.durationS - 2) * 1000)
      const c1 = cpuTimes()
      const logins = await storm
      assertClean('logins', logins)
      const r = {
        logins,
        p50: percentile(p.samplesMs, 50),
        p99: percentile(p.samplesMs, 99),
        max: Math.max(...p.samplesMs),
        samples: p.samplesMs.length,
        failures: p.failures,
        cpu: (c1.busy - c0.busy) / (c1.total - c0.total),
      }
      rounds.push(r)
      log(
        `  round ${i + 1}: ${fmt(logins.rps, 1)} logins/s (p99 ${fmt(logins.p99Ms)} ms), CPU ${Math.round(r.cpu * 100)}% busy; ` +
          `/healthz p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, max ${fmt(r.max, 1)} ms over ${r.samples} probes`,
      )
    }
    const p99 = median(rounds.map((r) => r.p99))
    const markdown = [
      `${LOGIN_CONNECTIONS} connections logging in (${ACCOUNTS} accounts in turn, argon2id m=19 MiB t=2 p=1) for ${opts.durationS} s, ${opts.rounds} rounds;`,
      `meanwhile one kept-alive connection sends \`GET /healthz\` every ${PROBE_INTERVAL_MS} ms (from 1 s after the storm starts to 1 s before it ends).`,
      'Server: NODE_ENV=production, LOG_LEVEL=warn, default libuv thread pool; the probe is a Node client on the same machine.',
      '',
      '| | logins/s | login p99 ms | CPU busy (all cores) | /healthz p50 ms | /healthz p99 ms | /healthz max ms |',
      '|---|---:|---:|---:|---:|---:|---:|',
      `| idle (no storm) | | | | ${fmt(percentile(idle.samplesMs, 50), 2)} | ${fmt(percentile(idle.samplesMs, 99), 2)} | ${fmt(Math.max(...idle.samplesMs), 1)} |`,
      ...rounds.map(
        (r, i) =>
          `| storm, round ${i + 1} | ${fmt(r.logins.rps, 1)} | ${fmt(r.logins.p99Ms)} | ${Math.round(r.cpu * 100)}% | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} |`,
      ),
      `| **storm, median** | **${fmt(median(rounds.map((r) => r.logins.rps)), 1)}** | | | **${fmt(median(rounds.map((r) => r.p50)), 2)}** | **${fmt(p99, 2)}** | |`,
      '',
      `Target: /healthz p99 < 20 ms during the storm — ${p99 < 20 ? 'met' : '**missed**'}.`,
    ].join('\n')
    return { title: 'Login storm against /healthz latency', markdown, data: { idle, rounds } }
  } finally {
    await server.stop()
  }
}
