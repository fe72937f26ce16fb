// Socket.IO on the API's HTTP server, fed by the outbox.
//
// Clients connect with the access token (`auth.token`); a connection joins `user:<id>` and
// `org:<orgId>` and receives every outbox event of its organization addressed to its rooms as
// `socket.on('<type>', { id, type, data, createdAt })`. After a disconnect the client reconnects with
// `auth.lastEventId` (or emits `sync` with `{ lastEventId }` and an ack) and receives what it missed,
// once and in order, before live events resume.
//
// Each node runs a NodeStream over the outbox's delivery order; the dispatcher (on whichever node holds
// the stream) wakes the other nodes through the Socket.IO adapter (PostgreSQL or Redis), and each node
// fans events out to its own connections. Modules may also broadcast ephemeral, unstored events
// (typing, presence) with `emit`, and handle client events with `handle`.
import { randomUUID } from 'node:crypto'
import type { Server as HttpServer } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { Server, type DefaultEventsMap, type Socket } from 'socket.io'
import type { Config } from '../../config.js'
import type { TokenService } from '../auth/tokens.js'
import type { Db } from '../db/database.js'
import { AppError, RateLimitError, StateError, UnauthenticatedError, ValidationError } from '../errors.js'
import { Dispatcher, pruneDispatchedEvents, type StreamEvent } from '../events/dispatcher.js'
import { rooms as roomNames } from '../events/outbox.js'
import type { JobQueue } from '../jobs/queue.js'
import { createClusterAdapter, type ClusterAdapter } from './adapter.js'
import { authenticateHandshake, envelope, liveSessions, type SocketPrincipal } from './auth.js'
import { PartialReplayError, SocketFeed, type ReplayResult } from './feed.js'
import { countMissed, replayPage, seqOfEvent } from './queries.js'
import { TokenBucket } from './rate-limit.js'
import { NodeStream } from './stream.js'

interface InterServerEvents {
  'luminous:outbox': (notice: { to: number }) => void
}
type IoServer = Server<DefaultEventsMap, DefaultEventsMap, InterServerEvents, SocketPrincipal>
export type RealtimeSocket = Socket<DefaultEventsMap, DefaultEventsMap, InterServerEvents, SocketPrincipal>

export interface SocketContext {
  socket: RealtimeSocket
  principal: SocketPrincipal
  requestId: string
  log: FastifyBaseLogger
}
/** Handles one client event; its result (or the error envelope) is the ack. */
export type SocketHandler = (ctx: SocketContext, payload: unknown) => unknown

export interface RealtimeDeps {
  config: Config
  db: Db
  ownerUrl: string
  tokens: TokenService
  jobs: JobQueue
  log: FastifyBaseLogger
}

/** Most events a reconnecting client is replayed; past that it reloads state over REST. */
export const REPLAY_MAX = 10_000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const PRUNE_TASK = 'events.prune'
const EVENT_ID_RE = /^\d{1,15}$/

interface Connection {
  feed: SocketFeed
  limiter: TokenBucket
}

export class Realtime {
  private io: IoServer | null = null
  private adapter: ClusterAdapter | null = null
  private closing = false
  private timers: NodeJS.Timeout[] = []
  private readonly connections = new Map<string, Connection>()
  private readonly handlers = new Map<string, SocketHandler>()
  readonly dispatcher: Dispatcher
  readonly stream: NodeStream

  constructor(private readonly deps: RealtimeDeps) {
    const { config, db, log } = deps
    this.stream = new NodeStream(db.owner, (events) => this.route(events), log)
    this.dispatcher = new Dispatcher(db.ownerPool, {
      ownerUrl: deps.ownerUrl,
      pollIntervalMs: config.EVENTS_POLL_INTERVAL,
      log,
      onDispatched: (batch) => {
        this.stream.offer(batch)
        this.io?.serverSideEmit('luminous:outbox', { to: batch.to })
      },
    })
    deps.jobs.register(PRUNE_TASK, async () => {
      const deleted = await pruneDispatchedEvents(db.owner, config.EVENTS_RETENTION_DAYS)
      if (deleted > 0) log.info({ deleted }, 'pruned dispatched events past the replay window')
      await this.schedulePrune(new Date(Date.now() + PRUNE_EVERY_MS))
    })
    this.handle('sync', (ctx, payload) => {
      const lastEventId = (payload as { lastEventId?: unknown } | null | undefined)?.lastEventId
      if (payload === null || typeof payload !== 'object' || lastEventId === undefined) {
        throw ValidationError.field('lastEventId', 'is required')
      }
      return this.replay(ctx.socket, lastEventId)
    })
  }

  /** Sockets connected to this node (for /metrics). */
  connectedCount(): number {
    return this.connections.size
  }

  get kind(): ClusterAdapter['kind'] | null {
    return this.adapter?.kind ?? null
  }

  /** Registers a handler for a client event. Modules call this at start-up. */
  handle(event: string, handler: SocketHandler): void {
    if (this.handlers.has(event)) throw new Error(`Socket event ${event} is handled twice`)
    this.handlers.set(event, handler)
  }

  /** Broadcasts an ephemeral event (typing, presence) to rooms on every node. Not stored, not replayed. */
  emit(rooms: string[], type: string, data: unknown): void {
    this.io?.to(rooms).emit(type, data)
  }

  /** Attaches Socket.IO to the HTTP server and starts the stream, the dispatcher and the timers. */
  async start(server: HttpServer): Promise<void> {
    if (this.io) return
    const { config, log } = this.deps
    this.closing = false
    await this.stream.init()
    this.adapter = createClusterAdapter({ ownerUrl: this.deps.ownerUrl, redisUrl: config.REDIS_URL, log })
    const io: IoServer = new Server(server, {
      serveClient: false,
      adapter: this.adapter.factory,
      maxHttpBufferSize: 100_000,
      cors: { origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS, credentials: true },
      allowRequest: (_req, fn) => fn(this.closing ? 'Server is shutting down' : null, !this.closing),
    })
    io.use((socket, next) => {
      const requestId = randomUUID()
      authenticateHandshake(this.deps, socket.handshake.auth, socket.handshake.headers.authorization).then(
        (principal) => {
          socket.data = principal
          next()
        },
        (err: unknown) => {
          if (!(err instanceof AppError)) log.error({ err, requestId }, 'socket handshake failed')
          const body = envelope(err, requestId)
          next(Object.assign(new Error(body.error.message), { data: body }))
        },
      )
    })
    io.on('connection', (socket) => this.onConnection(socket))
    io.on('luminous:outbox', (notice) => this.stream.wake(typeof notice?.to === 'number' ? notice.to : undefined))
    this.io = io

    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms)
      t.unref()
      this.timers.push(t)
    }
    every(config.EVENTS_POLL_INTERVAL, () => this.stream.wake())
    every(config.SOCKET_SESSION_CHECK_INTERVAL * 1000, () => {
      this.checkSessions().catch((err: unknown) => log.error({ err }, 'socket session check failed'))
    })
    if (config.EVENTS_DISPATCHER) {
      await this.dispatcher.start()
      await this.schedulePrune()
    }
  }

  /**
   * Stops taking connections, stops dispatching, disconnects every socket (clients reconnect to another
   * node and replay) and releases the adapter's connections. The HTTP server stays up for the caller to
   * drain and close.
   */
  async stop(): Promise<void> {
    this.closing = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    await this.dispatcher.stop()
    await this.stream.stop()
    const io = this.io
    this.io = null
    if (io) {
      io.local.disconnectSockets(true)
      io.engine.close()
      await io.of('/').adapter.close()
    }
    this.connections.clear()
    const adapter = this.adapter
    this.adapter = null
    await adapter?.close()
  }

  private onConnection(socket: RealtimeSocket): void {
    const p = socket.data
    // Registered synchronously with the stream head of this moment: every later event reaches the feed.
    void socket.join([roomNames.user(p.userId), roomNames.org(p.orgId)])
    const conn: Connection = {
      feed: new SocketFeed(socket, p.orgId, this.stream.head),
      limiter: new TokenBucket(this.deps.config.SOCKET_RATE_LIMIT_MAX),
    }
    this.connections.set(socket.id, conn)
    socket.on('disconnect', () => this.connections.delete(socket.id))

    socket.use((packet, next) => {
      if (conn.limiter.take()) return next()
      const ack = packet[packet.length - 1]
      if (typeof ack === 'function') {
        const retry = conn.limiter.retryAfter()
        ;(ack as (r: unknown) => void)(envelope(new RateLimitError(retry, `Too many events; retry in ${retry} s`)))
      }
      if (conn.limiter.abusive) socket.disconnect(true)
    })
    socket.onAny((event: string, ...args: unknown[]) => {
      const handler = this.handlers.get(event)
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: unknown) => void) : null
      if (!handler) {
        ack?.(envelope(new AppError(404, 'not_found', `Unknown event ${event}`)))
        return
      }
      void this.invoke(socket, handler, args[0], ack)
    })

    const lastEventId: unknown = socket.handshake.auth.lastEventId
    if (lastEventId !== undefined && lastEventId !== null && lastEventId !== '') {
      this.replay(socket, lastEventId).then(
        (result) => socket.emit('sync.complete', result),
        (err: unknown) => socket.emit('sync.error', envelope(err)),
      )
    }
  }

  private async invoke(socket: RealtimeSocket, handler: SocketHandler, payload: unknown, ack: ((r: unknown) => void) | null) {
    const requestId = randomUUID()
    const log = this.deps.log.child({ requestId, socketId: socket.id })
    try {
      const result = await handler({ socket, principal: socket.data, requestId, log }, payload)
      ack?.(result ?? { ok: true })
    } catch (err) {
      if (!(err instanceof AppError)) log.error({ err }, 'socket event handler failed')
      ack?.(envelope(err, requestId))
    }
  }

  /**
   * Sends `socket` the events of its rooms after `lastEventId` that this connection has not had yet.
   * Rejects with an AppError when the id is malformed or outside the replay window (nothing was sent);
   * any failure after events went out closes the connection so the client starts clean.
   */
  private async replay(socket: RealtimeSocket, lastEventId: unknown): Promise<ReplayResult> {
    const conn = this.connections.get(socket.id)
    if (!conn) throw new UnauthenticatedError('Connection is closed')
    const p = socket.data
    const rooms = [...socket.rooms].filter((r) => r !== socket.id)
    const raw = typeof lastEventId === 'number' ? String(lastEventId) : lastEventId
    if (typeof raw !== 'string' || !EVENT_ID_RE.test(raw)) {
      throw ValidationError.field('lastEventId', 'must be the id of an event this connection received (a string of digits)')
    }
    const tenant = { orgId: p.orgId, userId: p.userId }
    try {
      return await conn.feed.replay(
        (upTo) => this.replayStart(p, rooms, raw, upTo),
        (after, upTo, limit) => this.deps.db.tenant(tenant, (db) => replayPage(db, rooms, after, upTo, limit)),
      )
    } catch (err) {
      if (err instanceof PartialReplayError || !(err instanceof AppError)) {
        this.deps.log.error({ err, socketId: socket.id }, 'event replay failed; closing the connection')
        socket.disconnect(true)
        throw new AppError(500, 'internal_error', 'Replay failed; reconnect with the last event id you received')
      }
      throw err
    }
  }

  /** Stream position of `lastEventId` (within the organization's events), checked against the window. */
  private async replayStart(p: SocketPrincipal, rooms: string[], lastEventId: string, upTo: number): Promise<number> {
    const unavailable = (why: string) => new StateError(`${why}; reload state through the REST API`, 'replay_unavailable')
    return this.deps.db.tenant({ orgId: p.orgId, userId: p.userId }, async (db) => {
      let start = 0
      if (lastEventId !== '0') {
        const seq = await seqOfEvent(db, Number(lastEventId))
        if (seq === null) throw unavailable(`Event ${lastEventId} is not in the replay window`)
        start = seq
      }
      if (start < upTo && (await countMissed(db, rooms, start, upTo, REPLAY_MAX)) > REPLAY_MAX) {
        throw unavailable(`More than ${REPLAY_MAX} events were missed`)
      }
      return start
    })
  }

  /** Fans stream events out to this node's connections in their rooms. */
  private route(events: StreamEvent[]): void {
    const io = this.io
    if (!io) return
    const local = io.of('/').adapter.rooms
    for (const e of events) {
      const targets = new Set<string>()
      for (const room of e.rooms) for (const id of local.get(room) ?? []) targets.add(id)
      for (const id of targets) this.connections.get(id)?.feed.push(e)
    }
  }

  /** Disconnects sockets whose session was revoked or whose membership ended; refreshes roles. */
  private async checkSessions(): Promise<void> {
    const io = this.io
    if (!io) return
    const sockets = [...io.of('/').sockets.values()]
    const key = (s: RealtimeSocket) => `${s.data.sessionId}:${s.data.orgId}`
    const pairs = [...new Map(sockets.map((s) => [key(s), { sessionId: s.data.sessionId, orgId: s.data.orgId }])).values()]
    const live = new Map<string, SocketPrincipal['role']>()
    for (let i = 0; i < pairs.length; i += 1000) {
      for (const [k, role] of await liveSessions(this.deps.db, pairs.slice(i, i + 1000))) live.set(k, role)
    }
    for (const s of sockets) {
      const role = live.get(key(s))
      if (role) {
        s.data.role = role
        continue
      }
      s.emit('session.ended', envelope(new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')))
      s.disconnect(true)
    }
  }

  private async schedulePrune(runAt?: Date): Promise<void> {
    await this.deps.jobs.enqueue(this.deps.db.owner, PRUNE_TASK, {}, {
      jobKey: PRUNE_TASK,
      jobKeyMode: runAt ? 'replace' : 'preserve_run_at',
      ...(runAt ? { runAt } : {}),
    })
  }
}
