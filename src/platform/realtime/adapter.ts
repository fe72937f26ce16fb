// The Socket.IO adapter that carries broadcasts between nodes: PostgreSQL (LISTEN/NOTIFY on the same
// database, its own small pool on the owner role) by default, Redis when REDIS_URL is set.
import { createAdapter as createPostgresAdapter } from '@socket.io/postgres-adapter'
import { createAdapter as createRedisAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import pg from 'pg'
import type { ServerOptions } from 'socket.io'

export interface ClusterAdapter {
  kind: 'postgres' | 'redis'
  factory: NonNullable<ServerOptions['adapter']>
  /** Releases the adapter's connections; call after the Socket.IO server closed. */
  close(): Promise<void>
}

interface AdapterLog {
  warn(obj: object, msg: string): void
}

const CLOSE_TIMEOUT_MS = 3000

/** Resolves when `p` settles or after `ms`, whichever comes first: shutdown must not hang on a peer. */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

export function createClusterAdapter(opts: { ownerUrl: string; redisUrl: string | undefined; log: AdapterLog }): ClusterAdapter {
  const { log } = opts
  let closing = false
  const onError = (err: unknown) => {
    if (!closing) log.warn({ err }, 'Socket.IO adapter error')
  }

  if (opts.redisUrl) {
    const pub = new Redis(opts.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 })
    const sub = pub.duplicate()
    pub.on('error', onError)
    sub.on('error', onError)
    return {
      kind: 'redis',
      factory: createRedisAdapter(pub, sub, { key: 'luminous' }),
      async close() {
        closing = true
        await settleWithin(Promise.allSettled([pub.quit(), sub.quit()]), CLOSE_TIMEOUT_MS)
        pub.disconnect()
        sub.disconnect()
      },
    }
  }

  // One LISTEN connection held by the adapter plus one for publishing: publishes queue on a single
  // connection, so a node's broadcasts leave in the order it made them.
  const pool = new pg.Pool({ connectionString: opts.ownerUrl, max: 2, application_name: 'luminous-socket.io' })
  pool.on('error', onError)
  return {
    kind: 'postgres',
    factory: createPostgresAdapter(pool, { tableName: 'socket_io_attachments', errorHandler: onError }),
    async close() {
      closing = true
      await settleWithin(pool.end(), CLOSE_TIMEOUT_MS)
    },
  }
}
