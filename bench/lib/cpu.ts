// CPU time spent by processes, from /proc: on a shared, noisy machine the CPU a request costs is a
// steadier figure than the requests per second it allows.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const TICK_MS = 10 // USER_HZ is 100 on Linux

/** utime + stime of one process in milliseconds (0 once it has exited). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return 0
  }
}

/** The embedded PostgreSQL's postmaster and its children (backends, background workers). */
export function postgresPids(dataDir: string): number[] {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid')
  if (!existsSync(pidFile)) return []
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  const pids = [postmaster]
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) pids.push(Number(name))
    } catch {
      /* exited meanwhile */
    }
  }
  return pids
}

export type CpuSnapshot = Map<number, number>

export const cpuSnapshot = (pids: number[]): CpuSnapshot => new Map(pids.map((p) => [p, cpuMs(p)]))

/** CPU milliseconds used since `snap` by its processes and by `pids` (backends come and go). */
export function cpuSince(snap: CpuSnapshot, pids: number[]): number {
  let total = 0
  for (const p of new Set([...snap.keys(), ...pids])) total += Math.max(0, cpuMs(p) - (snap.get(p) ?? 0))
  return total
}
