// Durable background jobs on graphile-worker, in the same PostgreSQL. Jobs are enqueued with SQL in the
// transaction that decides them (so a rolled-back change enqueues nothing), carry job keys for
// de-duplication, retry with exponential backoff, and survive a crash of the process.
import { sql } from 'kysely'
import { run, type Runner, type Task, type TaskList, Logger } from 'graphile-worker'
import pg from 'pg'
import type { Executor } from '../db/database.js'

export interface EnqueueOptions {
  /** De-duplicates: a pending job with the same key is replaced. */
  jobKey?: string
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe'
  runAt?: Date
  maxAttempts?: number
  /** Jobs in one queue run one at a time, in order. Keep cardinality low. */
  queueName?: string
  priority?: number
}

export type JobHandler<P> = (payload: P, helpers: Parameters<Task>[1]) => Promise<void>

export class JobQueue {
  private readonly tasks: TaskList = {}
  private runner: Runner | null = null
  private pool: pg.Pool | null = null

  constructor(
    private readonly ownerUrl: string,
    private readonly log: { info(o: object, m: string): void; error(o: object, m: string): void },
  ) {}

  /** Registers a task; modules call this at start-up, before the runner starts. */
  register<P>(name: string, handler: JobHandler<P>): void {
    if (this.tasks[name]) throw new Error(`Job task ${name} is registered twice`)
    this.tasks[name] = (payload, helpers) => handler(payload as P, helpers)
  }

  get taskNames(): string[] {
    return Object.keys(this.tasks)
  }

  /** The registered tasks, for running the queue by hand (tests drain it with graphile-worker's runOnce). */
  get taskList(): Readonly<TaskList> {
    return { ...this.tasks }
  }

  /**
   * Enqueues a job inside the caller's transaction. Goes through luminous_add_job (migration 0031): the
   * application role may add jobs but graphile-worker's row-level security keeps it out of the tables.
   */
  async enqueue(db: Executor, task: string, payload: unknown, opts: EnqueueOptions = {}): Promise<void> {
    await sql`SELECT luminous_add_job(
      identifier => ${task}::text,
      payload => ${JSON.stringify(payload ?? {})}::json,
      queue_name => ${opts.queueName ?? null}::text,
      run_at => ${opts.runAt ?? null}::timestamptz,
      max_attempts => ${opts.maxAttempts ?? null}::int,
      job_key => ${opts.jobKey ?? null}::text,
      priority => ${opts.priority ?? null}::int,
      job_key_mode => ${opts.jobKeyMode ?? null}::text
    )`.execute(db)
  }

  get running(): boolean {
    return this.runner !== null
  }

  async start(concurrency: number): Promise<void> {
    if (this.runner) return
    const log = this.log
    // Our own pool rather than graphile-worker's: it ends its pool without waiting and drops the pool's
    // error listener first, so a connection the database closes during shutdown crashed the process.
    const pool = new pg.Pool({ connectionString: this.ownerUrl, max: concurrency + 2, application_name: 'luminous-jobs' })
    pool.on('error', (err) => log.error({ err }, 'jobs: idle database connection failed'))
    pool.on('connect', (client) => client.on('error', (err) => log.error({ err }, 'jobs: database connection failed')))
    this.pool = pool
    this.runner = await run({
      pgPool: pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: 2000,
      taskList: this.tasks,
      logger: new Logger(() => (level, message, meta) => {
        if (level === 'error') log.error({ meta }, `jobs: ${message}`)
      }),
    })
  }

  /** Stops taking jobs and waits for running ones to finish. */
  async stop(): Promise<void> {
    const runner = this.runner
    this.runner = null
    if (runner) await runner.stop()
    const pool = this.pool
    this.pool = null
    await pool?.end()
  }
}
