// Prometheus metrics at /metrics: request durations by route pattern (never the raw URL, which would
// make one series per id), database pool usage, the job queue, sockets and Node's own metrics
// (event-loop lag, heap, GC). One registry per platform, so several apps in one process (tests) do not
// collide; other parts register their gauges on `platform.metrics.registry`.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { safeEqual } from './auth/tokens.js'
import type { Db } from './db/database.js'
import { UnauthenticatedError } from './errors.js'

const JOB_STATES = ['ready', 'scheduled', 'running', 'retrying', 'failed'] as const
type JobState = (typeof JOB_STATES)[number]
/** Scrapes come every few seconds from each Prometheus; the queue count need not be fresher. */
const JOB_COUNT_TTL_MS = 5_000

export class Metrics {
  readonly registry = new Registry()
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>
  private socketCount: (() => number) | null = null

  constructor(db: Db) {
    collectDefaultMetrics({ register: this.registry })
    this.httpDuration = new Histogram({
      name: 'luminous_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    })

    new Gauge({
      name: 'luminous_db_pool_connections',
      help: 'Database pool connections by pool (app, owner) and state (total, idle, waiting = requests queued for one)',
      labelNames: ['pool', 'state'],
      registers: [this.registry],
      collect() {
        for (const [name, pool] of [['app', db.appPool], ['owner', db.ownerPool]] as const) {
          this.set({ pool: name, state: 'total' }, pool.totalCount)
          this.set({ pool: name, state: 'idle' }, pool.idleCount)
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount)
        }
      },
    })

    let cached: { at: number; counts: Record<JobState, number> } | null = null
    new Gauge({
      name: 'luminous_jobs',
      help: 'Background jobs by state: ready (due), scheduled (future), running, retrying (failed at least once), failed (out of attempts)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        if (!cached || Date.now() - cached.at > JOB_COUNT_TTL_MS) {
          const counts = await countJobs(db).catch(() => null)
          // Before graphile-worker's schema exists there is nothing to report; keep the last figures.
          if (counts) cached = { at: Date.now(), counts }
        }
        if (cached) for (const state of JOB_STATES) this.set({ state }, cached.counts[state])
      },
    })

    const sockets = () => this.socketCount?.() ?? 0
    new Gauge({
      name: 'luminous_socket_connections',
      help: 'Socket.IO connections open on this node',
      registers: [this.registry],
      collect() {
        this.set(sockets())
      },
    })
  }

  /** The realtime layer hands over how to count its open sockets. */
  trackSockets(count: () => number): void {
    this.socketCount = count
  }
}

/** One pass over graphile-worker's job table (small: finished jobs are deleted), bounded in time. */
async function countJobs(db: Db): Promise<Record<JobState, number>> {
  return db.owner.transaction().execute(async (tx) => {
    await sql`SET LOCAL statement_timeout = '1s'`.execute(tx)
    const { rows } = await sql<Record<JobState, number>>`
      SELECT
        count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now())::int AS ready,
        count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at > now())::int AS scheduled,
        count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
        count(*) FILTER (WHERE locked_at IS NULL AND attempts > 0 AND attempts < max_attempts)::int AS retrying,
        count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
      FROM graphile_worker._private_jobs`.execute(tx)
    return rows[0]!
  })
}

/**
 * Times every request and serves /metrics (outside /api, so it is neither guarded nor in the OpenAPI
 * document). With a token configured, scrapers must send `Authorization: Bearer <token>`.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? '(unmatched)', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
  })

  app.get('/metrics', async (request, reply) => {
    if (token !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
      if (!m?.[1] || !safeEqual(m[1], token)) throw new UnauthenticatedError('A valid metrics token is required')
    }
    const body = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(body)
  })
}
