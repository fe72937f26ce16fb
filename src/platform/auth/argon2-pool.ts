// argon2id on a small pool of worker threads that lower their own scheduling priority. Hashing at full
// cost is ~30 ms of CPU per password; on libuv's pool (4 threads at normal priority on 2 cores) a login
// storm starves the event loop and every other request waits. Niced threads keep the CPU just as busy
// with logins while the event loop (health checks, ordinary requests) stays responsive — see
// docs/benchmarks.md, "Login storm".
import { createRequire } from 'node:module'
import os from 'node:os'
import { Worker } from 'node:worker_threads'

type Job =
  | { op: 'hash'; password: string; options: Record<string, number> }
  | { op: 'verify'; hash: string; password: string }

// Plain JavaScript so it runs the same under tsx, vitest and the transpiled build. On Linux a thread's
// nice value is its own, so setPriority(0, 19) here lowers only this worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const os = require('node:os')
const argon2 = require(workerData.argon2Path)
try { os.setPriority(0, 19) } catch {}
parentPort.on('message', ({ id, job }) => {
  try {
    const value = job.op === 'hash'
      ? argon2.hashSync(job.password, job.options)
      : argon2.verifySync(job.hash, job.password)
    parentPort.postMessage({ id, value })
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})`

interface Slot {
  worker: Worker
  inFlight: number
}

export class Argon2Pool {
  private slots: Slot[] | null = null
  private nextId = 0
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; slot: Slot }>()

  constructor(private readonly size = Math.max(1, os.availableParallelism())) {}

  private start(): Slot[] {
    const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2')
    return Array.from({ length: this.size }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2Path } })
      const slot: Slot = { worker, inFlight: 0 }
      worker.unref() // never keeps the process alive
      worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: string }) => {
        const p = this.pending.get(id)
        if (!p) return
        this.pending.delete(id)
        slot.inFlight--
        if (error !== undefined) p.reject(new Error(error))
        else p.resolve(value)
      })
      worker.on('error', (err) => this.failAll(slot, err))
      worker.on('exit', () => {
        this.failAll(slot, new Error('argon2 worker exited'))
        this.slots = this.slots?.filter((s) => s !== slot) ?? null
        if (this.slots?.length === 0) this.slots = null
      })
      return slot
    })
  }

  private failAll(slot: Slot, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue
      this.pending.delete(id)
      p.reject(err)
    }
  }

  private run<T>(job: Job): Promise<T> {
    this.slots ??= this.start()
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
    const id = ++this.nextId
    slot.inFlight++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, slot })
      slot.worker.postMessage({ id, job })
    })
  }

  hash(password: string, options: Record<string, number>): Promise<string> {
    return this.run<string>({ op: 'hash', password, options })
  }

  /** Throws on a malformed hash, like @node-rs/argon2's verify. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.run<boolean>({ op: 'verify', hash, password })
  }
}

/** One pool per process: password hashing is the only CPU-heavy request work. */
export const argon2Pool = new Argon2Pool()
