// The platform container: the shared machinery a module's services use, built once per process and
// reached through the request context (`ctx.platform`). No business rules here.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { TokenService } from './auth/tokens.js'
import type { Db } from './db/database.js'
import { JobQueue } from './jobs/queue.js'
import { Mailer } from './mail/mailer.js'
import { Metrics } from './metrics.js'
import { Realtime } from './realtime/realtime.js'
import { createStorage, type Storage } from './storage/index.js'

export interface Platform {
  config: Config
  db: Db
  tokens: TokenService
  jobs: JobQueue
  mail: Mailer
  /** Prometheus registry and the platform's own metrics; others add gauges to `metrics.registry`. */
  metrics: Metrics
  storage: Storage
  /** Socket.IO, the outbox dispatcher and the event stream; started by server.ts once the HTTP server exists. */
  realtime: Realtime
  log: FastifyBaseLogger
}

export interface PlatformDeps {
  config: Config
  db: Db
  ownerUrl: string
  log: FastifyBaseLogger
}

export function createPlatform({ config, db, ownerUrl, log }: PlatformDeps): Platform {
  const jobs = new JobQueue(ownerUrl, log)
  const tokens = new TokenService(config.JWT_SECRET, config.ACCESS_TOKEN_TTL)
  const metrics = new Metrics(db)
  const realtime = new Realtime({ config, db, ownerUrl, tokens, jobs, log })
  metrics.trackSockets(() => realtime.connectedCount())
  return {
    config,
    db,
    log,
    tokens,
    jobs,
    mail: new Mailer({ config, db, jobs, log }),
    metrics,
    storage: createStorage(config),
    realtime,
  }
}
