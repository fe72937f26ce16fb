// Cold start (new data directory: initdb of the embedded PostgreSQL, migrations) and warm start to the
// first `/readyz` 200, and the idle memory of the Node process afterwards — through the real CLI, as
// `npm start` runs it (tsx compiling on the fly) and, for comparison, from a compiled build.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js'
import { migrate } from '../src/platform/db/migrate.js'
import { buildCompiled } from './lib/build.js'
import { freePort, postgresRssBytes, REPO_ROOT, startLuminous, tempDataDir } from './lib/luminous.js'
import type { Section } from './lib/report.js'
import { fmt, median } from './lib/stats.js'

export interface StartupOptions {
  rounds: number
  /** Also measure a compiled build (esbuild, no tsx at run time). */
  compiled: boolean
  log: (line: string) => void
}

interface Variant {
  name: string
  compiledMain?: string
  coldMs: number[]
  warmMs: number[]
  rssMiB: number[]
  heapUsedMiB: number[]
  importMs: number[]
  postgresRssMiB: number[]
}

const MiB = 2 ** 20
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Milliseconds from process start until the whole server module graph is imported. */
function importTime(entry: string, viaTsx: boolean): number {
  const code = `await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(performance.now())`
  const args = [...(viaTsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code]
  return Number(
    execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim(),
  )
}

/** Requests a client would make right after start, so the memory figure is not of a server never used. */
async function exercise(url: string): Promise<void> {
  for (let i = 0; i < 50; i++) await (await fetch(`${url}/healthz`)).arrayBuffer()
  for (let i = 0; i < 5; i++) await (await fetch(`${url}/readyz`)).arrayBuffer()
  for (let i = 0; i < 3; i++) await (await fetch(`${url}/api/v1/openapi.json`)).arrayBuffer()
  for (let i = 0; i < 20; i++) await (await fetch(`${url}/api/v1/auth/me`)).arrayBuffer() // 401 path
}

async function measureVariant(v: Variant, rounds: number, log: (l: string) => void): Promise<void> {
  const entry = v.compiledMain
    ? path.join(path.dirname(v.compiledMain), 'server.js')
    : path.join(REPO_ROOT, 'src/server.ts')
  for (let i = 0; i < rounds; i++) {
    v.importMs.push(importTime(entry, !v.compiledMain))
    const dataDir = tempDataDir('start')
    try {
      const cold = await startLuminous({
        dataDir,
        ...(v.compiledMain ? { compiledMain: v.compiledMain } : {}),
      })
      v.coldMs.push(cold.readyMs)
      await exercise(cold.url)
      await sleep(5000) // let the post-start garbage be collected
      v.rssMiB.push(cold.rssBytes() / MiB)
      v.postgresRssMiB.push(postgresRssBytes(dataDir) / MiB)
      const heap = (await (await fetch(`${cold.url}/metrics`)).text()).match(
        /^nodejs_heap_size_used_bytes (\S+)/m,
      )
      if (heap) v.heapUsedMiB.push(Number(heap[1]) / MiB)
      await cold.stop({ removeData: false })
      const warm = await startLuminous({
        dataDir,
        ...(v.compiledMain ? { compiledMain: v.compiledMain } : {}),
      })
      v.warmMs.push(warm.readyMs)
      await warm.stop({ removeData: false })
      log(
        `  ${v.name} round ${i + 1}: cold ${fmt(v.coldMs.at(-1)!)} ms, warm ${fmt(v.warmMs.at(-1)!)} ms, ` +
          `idle RSS ${fmt(v.rssMiB.at(-1)!)} MiB, import ${fmt(v.importMs.at(-1)!)} ms`,
      )
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** initdb + first start of the embedded PostgreSQL, and the migrations, timed on their own. */
async function databaseParts(
  rounds: number,
): Promise<{ initdbMs: number[]; migrateMs: number[]; restartMs: number[] }> {
  const out = { initdbMs: [] as number[], migrateMs: [] as number[], restartMs: [] as number[] }
  for (let i = 0; i < rounds; i++) {
    const dir = tempDataDir('pg')
    try {
      const port = await freePort()
      let t = performance.now()
      let pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port })
      out.initdbMs.push(performance.now() - t)
      const { default: pgClient } = await import('pg')
      const admin = new pgClient.Client({ connectionString: pg.url })
      await admin.connect()
      await admin.query('CREATE DATABASE luminous')
      await admin.end()
      const url = new URL(pg.url)
      url.pathname = '/luminous'
      t = performance.now()
      await migrate(url.toString(), { appPassword: 'bench' })
      out.migrateMs.push(performance.now() - t)
      await pg.stop()
      t = performance.now()
      pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port })
      out.restartMs.push(performance.now() - t)
      await pg.stop()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return out
}

export async function runStartup(opts: StartupOptions): Promise<Section> {
  const variants: Variant[] = [
    {
      name: 'tsx (npm start)',
      coldMs: [],
      warmMs: [],
      rssMiB: [],
      heapUsedMiB: [],
      importMs: [],
      postgresRssMiB: [],
    },
  ]
  if (opts.compiled) {
    opts.log('  building a compiled copy of src/ with esbuild')
    const compiledMain = await buildCompiled()
    variants.push({
      name: 'compiled (node, no tsx)',
      compiledMain,
      coldMs: [],
      warmMs: [],
      rssMiB: [],
      heapUsedMiB: [],
      importMs: [],
      postgresRssMiB: [],
    })
  }
  for (const v of variants) await measureVariant(v, opts.rounds, opts.log)
  const parts = await databaseParts(opts.rounds)
  opts.log(
    `  database alone: initdb+start ${fmt(median(parts.initdbMs))} ms, migrations ${fmt(median(parts.migrateMs))} ms, restart ${fmt(median(parts.restartMs))} ms`,
  )

  const tsx = variants[0]!
  const verdict = (value: number, limit: number) => (value < limit ? 'met' : '**missed**')
  const rows = variants.map(
    (v) =>
      `| ${v.name} | ${fmt(median(v.coldMs))} | ${fmt(median(v.warmMs))} | ${fmt(median(v.importMs))} | ${fmt(median(v.rssMiB))} | ${fmt(median(v.heapUsedMiB))} | ${fmt(median(v.postgresRssMiB))} |`,
  )
  const markdown = [
    `Medians of ${opts.rounds} rounds. Each round: a new data directory → \`/readyz\` 200 (cold), 50 × \`/healthz\`, 5 × \`/readyz\`,`,
    `3 × \`/api/v1/openapi.json\`, 20 × unauthenticated \`/api/v1/auth/me\`, 5 s idle, RSS read from \`/proc/<pid>/status\`;`,
    'then SIGTERM and a start on the same directory (warm). Server: NODE_ENV=production, LOG_LEVEL=warn, job runner on.',
    '',
    '| variant | cold start to /readyz (ms) | warm start (ms) | importing the code, alone (ms) | idle RSS, Node (MiB) | V8 heap used (MiB) | embedded PostgreSQL RSS, all processes (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `The database's own share, measured apart: initdb + first start ${fmt(median(parts.initdbMs))} ms, all migrations ${fmt(median(parts.migrateMs))} ms, restart of an existing cluster ${fmt(median(parts.restartMs))} ms.`,
    '',
    `Targets (npm start): cold < 10 s — ${verdict(median(tsx.coldMs), 10_000)}; warm < 3 s — ${verdict(median(tsx.warmMs), 3000)}; idle RSS < 200 MB — ${verdict(median(tsx.rssMiB) * MiB, 200e6)}.`,
    '(PostgreSQL RSS sums every backend and counts shared buffers in each, so it overstates their real footprint.)',
  ].join('\n')
  return { title: 'Start-up and idle memory', markdown, data: { variants, parts } }
}
