// What the figures were measured on: they mean little without the machine and the moment.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { REPO_ROOT } from './luminous.js'
import { loadClient } from './load.js'

export interface Machine {
  cpus: number
  cpuModel: string
  memoryGiB: number
  os: string
  node: string
  loadClient: string
  commit: string
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean
  /** 1-minute load average when the run started (other work on a shared machine). */
  loadAverage: number
  date: string
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return ''
  }
}

export function machine(): Machine {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadClient: loadClient(),
    commit: git(['rev-parse', '--short', 'HEAD']) || process.env.BENCH_COMMIT || 'unknown',
    dirty: git(['status', '--porcelain']) !== '',
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
  }
}

export function machineMarkdown(m: Machine): string {
  return [
    `- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- Node ${m.node}; load client ${m.loadClient}; commit ${m.commit}${m.dirty ? ' (with uncommitted changes in the tree)' : ''}`,
    `- ${m.date}; 1-minute load average at the start: ${m.loadAverage}`,
  ].join('\n')
}
