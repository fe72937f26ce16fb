// Runs the job queue by hand: every job that is due runs once, and the call returns when none is left
// (jobs that fail are rescheduled by graphile-worker's backoff and so wait for a later call). Lets a
// test deliver the mail, notifications or file removals its request queued, deterministically.
import { sql } from 'kysely'
import { Logger, runOnce } from 'graphile-worker'
import type { TestApp } from './app.js'

const silent = new Logger(() => () => {})

export async function runJobs(t: Pick<TestApp, 'platform' | 'database'>): Promise<void> {
  await runOnce({
    connectionString: t.database.ownerUrl,
    taskList: { ...t.platform.jobs.taskList },
    logger: silent,
    concurrency: 1,
  })
}

/** Makes every pending job due now (skips the retry backoff), so the next `runJobs` retries failures. */
export async function makeJobsDue(t: Pick<TestApp, 'platform'>): Promise<void> {
  await sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE locked_at IS NULL`.execute(t.platform.db.owner)
}

/** Jobs still waiting (failed ones included), by task: `{ 'mail.send': 1 }`. */
export async function pendingJobs(t: Pick<TestApp, 'platform'>): Promise<Record<string, number>> {
  const { rows } = await sql<{ task: string; n: number }>`
    SELECT t.identifier AS task, count(*)::int AS n
    FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
    WHERE j.attempts < j.max_attempts GROUP BY t.identifier`.execute(t.platform.db.owner)
  return Object.fromEntries(rows.map((r) => [r.task, r.n]))
}
