// Liveness and readiness. /healthz answers while the process runs (no I/O, so it stays fast under
// load); /readyz checks the database and the job runner.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Platform } from '../platform.js'

const READY_TIMEOUT_MS = 2000

export function registerHealth(app: FastifyInstance, platform: Platform, opts: { expectWorker: boolean }): void {
  app.get(
    '/healthz',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, 'ok' | 'failing'> = {}
    // A database that hangs must not hang the probe: load balancers time out and count that as worse.
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS)
    })
    try {
      await Promise.race([sql`SELECT 1`.execute(platform.db.app), timeout])
      checks.database = 'ok'
    } catch {
      checks.database = 'failing'
    } finally {
      clearTimeout(timer)
    }
    if (opts.expectWorker) checks.jobs = platform.jobs.running ? 'ok' : 'failing'
    const ready = Object.values(checks).every((c) => c === 'ok')
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })
}
