// `npm run bench [-- me|login|start ...] [--rounds=N] [--duration=S] [--no-compiled]`: runs the named
// benchmarks (all by default) on 127.0.0.1, prints the figures and writes them to bench/results/.
// Never part of `npm test`; each benchmark is bounded in time and stops the servers it started.
import { runLoginStorm } from './login-storm.js'
import { machine } from './lib/machine.js'
import { writeReport, type Section } from './lib/report.js'
import { runMe } from './me.js'
import { runStartup } from './startup.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: number): number => {
  const a = args.find((x) => x.startsWith(`--${name}=`))
  const n = a ? Number(a.split('=')[1]) : fallback
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`)
  return n
}
const names = args.filter((a) => !a.startsWith('--'))
const known = ['me', 'login', 'start']
for (const n of names)
  if (!known.includes(n)) throw new Error(`unknown benchmark "${n}" (use ${known.join(', ')})`)
const selected = names.length > 0 ? names : known
const rounds = flag('rounds', 3)
const duration = flag('duration', 10)
const log = (line: string) => process.stdout.write(`${line}\n`)

const m = machine()
log(
  `Luminous benchmarks: ${selected.join(', ')}; ${rounds} rounds; ${m.cpus} CPUs, ${m.memoryGiB} GiB; ${m.loadClient}`,
)
const sections: Section[] = []
const deadline = setTimeout(() => {
  process.stderr.write('benchmarks took longer than 30 minutes; stopping\n')
  process.exit(2)
}, 30 * 60_000)
deadline.unref()

if (selected.includes('me')) {
  log('\n== GET /api/auth/me vs a bare Fastify + pg route')
  sections.push(await runMe({ rounds, durationS: duration, connections: 50, log }))
}
if (selected.includes('login')) {
  log('\n== Login storm vs /healthz latency')
  sections.push(await runLoginStorm({ rounds, durationS: Math.max(duration, 10), log }))
}
if (selected.includes('start')) {
  log('\n== Start-up and idle memory')
  sections.push(await runStartup({ rounds, compiled: !args.includes('--no-compiled'), log }))
}

const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
const file = writeReport(command, m, sections)
for (const s of sections) log(`\n## ${s.title}\n\n${s.markdown}`)
log(`\nWritten to ${file}`)
process.exit(0)
