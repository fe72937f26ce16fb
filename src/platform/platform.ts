// The platform container: the shared machinery a module's services use, built once per process and
// reached through the request context (`ctx.platform`). No business rules here.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { TokenService } from './auth/tokens.js'
import type { Db } from './db/database.js'
import { JobQueue } from './jobs/queue.js'
import { Mailer } from './mail/mailer.js'
import { Metrics } from './metrics.js'
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
  return {
    config,
    db,
    log,
    tokens: new TokenService(config.JWT_SECRET, config.ACCESS_TOKEN_TTL),
    jobs,
    mail: new Mailer({ config, db, jobs, log }),
    metrics: new Metrics(db),
    storage: createStorage(config),
  }
}
