// `GET /api/auth/me` with a valid token at 50 connections, beside a bare Fastify + pg route answering
// the same JSON from the same rows (bench/bare-server.ts), in alternating rounds of one run on one
// database with the same pool size; and pgbench replaying the baseline's query on that database.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'
import os from 'node:os'
import path from 'node:path'
import { register } from './lib/accounts.js'
import { cpuSince, cpuSnapshot, postgresPids } from './lib/cpu.js'
import { assertClean, runLoad, type LoadResult } from './lib/load.js'
import { freePort, REPO_ROOT, startLuminous } from './lib/luminous.js'
import { ME_PGBENCH } from './lib/me-sql.js'
import type { Section } from './lib/report.js'
import { fmt, median, pct } from './lib/stats.js'

export interface MeOptions {
  rounds: number
  durationS: number
  connections: number
  log: (line: string) => void
}

const POOL_SIZE = 10

type Measured = LoadResult & { nodeUsPerReq: number; pgUsPerReq: number }

async function startBare(
  env: Record<string, string>,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, BARE_PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.once('exit', () => child.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('listening')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

function findPgbench(): string | null {
  const candidates = ['pgbench']
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse())
      candidates.push(`/usr/lib/postgresql/${v}/bin/pgbench`)
  }
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'pipe' })
      return c
    } catch {
      /* try the next */
    }
  }
  return null
}

interface PgbenchResult {
  clients: number
  tps: number
  latencyMs: number
}

function pgbench(
  bin: string,
  url: string,
  clients: number,
  durationS: number,
  vars: Record<string, string>,
): PgbenchResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-pgbench-'))
  try {
    const script = path.join(dir, 'me.sql')
    writeFileSync(script, ME_PGBENCH)
    const args = [
      '-n',
      '-M',
      'extended',
      '-c',
      String(clients),
      '-j',
      String(Math.min(2, clients)),
      '-T',
      String(durationS),
      '-f',
      script,
    ]
    for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`)
    args.push(url)
    const out = execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1])
    const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1])
    if (!Number.isFinite(tps)) throw new Error(`unexpected pgbench output: ${out}`)
    return { clients, tps, latencyMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function runMe(opts: MeOptions): Promise<Section> {
  const { log } = opts
  const server = await startLuminous({
    env: { DATABASE_POOL_SIZE: String(POOL_SIZE), ACCESS_TOKEN_TTL: '7200' },
  })
  let bare: Awaited<ReturnType<typeof startBare>> | null = null
  try {
    const account = await register(server.url, 1)
    const auth = { authorization: `Bearer ${account.accessToken}` }
    bare = await startBare({
      BARE_DATABASE_URL: server.ownerUrl(),
      BARE_POOL_SIZE: String(POOL_SIZE),
      BARE_USER_ID: account.userId,
      BARE_ORG_ID: account.orgId,
    })
    const meUrl = `${server.url}/api/auth/me`
    const bareUrl = `${bare.url}/me`

    // Same JSON, or the comparison would be of different work.
    const ours = (await (await fetch(meUrl, { headers: auth })).json()) as unknown
    const theirs = (await (await fetch(bareUrl)).json()) as unknown
    if (!isDeepStrictEqual(ours, theirs)) {
      throw new Error(
        `the bare route answers different JSON:\nLuminous: ${JSON.stringify(ours)}\nbare:     ${JSON.stringify(theirs)}`,
      )
    }
    log(`  same JSON from both (${JSON.stringify(ours).length} bytes); warming up`)
    const barePid = bare.pid
    // Besides the rates: the CPU each request costs the Node process and PostgreSQL, which the
    // machine's other load disturbs far less than it disturbs requests per second.
    const target = async (which: 'luminous' | 'bare', durationS: number): Promise<Measured> => {
      const nodePid = which === 'luminous' ? server.pid : barePid
      const pgPids = () => postgresPids(server.dataDir)
      const nodeSnap = cpuSnapshot([nodePid])
      const pgSnap = cpuSnapshot(pgPids())
      const r = await runLoad({
        url: which === 'luminous' ? meUrl : bareUrl,
        connections: opts.connections,
        durationS,
        ...(which === 'luminous' ? { headers: auth } : {}),
      })
      return {
        ...r,
        nodeUsPerReq: (cpuSince(nodeSnap, [nodePid]) * 1000) / r.requests,
        pgUsPerReq: (cpuSince(pgSnap, pgPids()) * 1000) / r.requests,
      }
    }
    await target('luminous', 3)
    await target('bare', 3)

    const results: Record<'luminous' | 'bare', Measured[]> = { luminous: [], bare: [] }
    const ratios: number[] = []
    for (let i = 0; i < opts.rounds; i++) {
      // Alternate the order so a drift in the machine's load does not favour one side.
      const order: ('luminous' | 'bare')[] = i % 2 === 0 ? ['luminous', 'bare'] : ['bare', 'luminous']
      for (const which of order) {
        const r = await target(which, opts.durationS)
        assertClean(which, r)
        results[which].push(r)
      }
      const l = results.luminous.at(-1)!
      const b = results.bare.at(-1)!
      ratios.push(l.rps / b.rps)
      log(
        `  round ${i + 1}: Luminous ${fmt(l.rps)} req/s p99 ${fmt(l.p99Ms, 1)} ms (CPU/req: Node ${fmt(l.nodeUsPerReq)} µs, PostgreSQL ${fmt(l.pgUsPerReq)} µs)` +
          ` · bare ${fmt(b.rps)} req/s p99 ${fmt(b.p99Ms, 1)} ms (Node ${fmt(b.nodeUsPerReq)} µs, PostgreSQL ${fmt(b.pgUsPerReq)} µs) · ${pct(ratios.at(-1)!)}`,
      )
    }

    const bin = findPgbench()
    const pg: PgbenchResult[][] = []
    if (bin) {
      for (const clients of [POOL_SIZE, opts.connections]) {
        const runs: PgbenchResult[] = []
        for (let i = 0; i < opts.rounds; i++) {
          runs.push(
            pgbench(bin, server.ownerUrl(), clients, opts.durationS, {
              uid: account.userId,
              oid: account.orgId,
            }),
          )
        }
        pg.push(runs)
        log(`  pgbench -c ${clients}: ${runs.map((r) => fmt(r.tps)).join(', ')} tps`)
      }
    } else {
      log('  pgbench not found (apt-get install postgresql-client); skipped')
    }

    const row = (name: string, rs: Measured[]) =>
      `| ${name} | ${fmt(median(rs.map((r) => r.rps)))} | ${fmt(median(rs.map((r) => r.p99Ms)), 1)} | ${fmt(median(rs.map((r) => r.p50Ms)), 1)} | ${fmt(median(rs.map((r) => r.nodeUsPerReq)))} | ${fmt(median(rs.map((r) => r.pgUsPerReq)))} | ${rs.map((r) => fmt(r.rps)).join(' / ')} |`
    const ratio = median(ratios)
    const markdown = [
      `${opts.connections} connections, ${opts.durationS} s per measurement, ${opts.rounds} alternating rounds after a 3 s warm-up of each;`,
      `both servers in their own Node process through tsx, pool of ${POOL_SIZE} connections to the same embedded PostgreSQL.`,
      'Luminous: `node --import tsx src/main.ts start` with NODE_ENV=production, LOG_LEVEL=warn (no request logs), job runner on,',
      'rate limits raised out of the way (the limiter still runs). Bare: bench/bare-server.ts — Fastify, no logger, no plugins,',
      'one `pg` query as the superuser (no RLS, no transaction), the same JSON (checked equal before measuring).',
      '',
      '| route | req/s (median) | p99 ms (median) | p50 ms (median) | Node CPU µs/req | PostgreSQL CPU µs/req | req/s per round |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row('Luminous `GET /api/auth/me` (valid token)', results.luminous),
      row('bare Fastify + pg, same JSON', results.bare),
      '',
      "CPU µs/req: user + system CPU time of the server's Node process, and of all the embedded PostgreSQL processes, during the",
      'measurement (from /proc), divided by the requests served. Less disturbed by other load on the machine than req/s.',
      '',
      `Luminous / bare: **${pct(ratio)}** (median of the per-round ratios ${ratios.map(pct).join(', ')}); target ≥ 50% — ${ratio >= 0.5 ? 'met' : '**missed**'}.`,
      '',
      ...(pg.length
        ? [
            `pgbench (${bin}, \`-M extended\`, the baseline's query with the same ids, as the superuser, ${opts.durationS} s × ${opts.rounds}):`,
            '',
            '| clients | tps (median) | mean latency ms |',
            '|---:|---:|---:|',
            ...pg.map(
              (runs) =>
                `| ${runs[0]!.clients} | ${fmt(median(runs.map((r) => r.tps)))} | ${fmt(median(runs.map((r) => r.latencyMs)), 2)} |`,
            ),
          ]
        : ['pgbench was not installed; not measured.']),
    ].join('\n')
    return {
      title: 'GET /api/auth/me against a bare route',
      markdown,
      data: { results, ratios, pgbench: pg },
    }
  } finally {
    await bare?.stop()
    await server.stop()
  }
}
