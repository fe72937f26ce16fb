// A real Socket.IO client for tests: connects over WebSocket to a listening app (createTestApp with
// `realtime: true`, or a node process), records every event it receives in order, and waits for them.
import { io, type Socket } from 'socket.io-client'

export interface Received {
  event: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary payload shapes
  payload: any
}

export interface TestSocket {
  socket: Socket
  /** Every event received so far, in arrival order. */
  received: Received[]
  /** Received events of these names (default: everything but sync.* and session.*). */
  events(...names: string[]): Received[]
  /** Resolves with the first received event (already here or arriving) that matches. */
  waitFor(event: string, match?: (payload: Received['payload']) => boolean, timeoutMs?: number): Promise<Received['payload']>
  /** Resolves once `count` events named `event` have been received. */
  waitForCount(event: string, count: number, timeoutMs?: number): Promise<Received[]>
  /** Emits with an ack and resolves with the ack's argument. */
  request(event: string, payload?: unknown, timeoutMs?: number): Promise<Received['payload']>
  close(): void
}

export interface ConnectOptions {
  token?: string
  lastEventId?: string
  auth?: Record<string, unknown>
  /** Extra handshake headers (Node clients over WebSocket), e.g. `authorization`. */
  headers?: Record<string, string>
}

function client(url: string, opts: ConnectOptions): Socket {
  return io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    ...(opts.headers ? { extraHeaders: opts.headers } : {}),
    auth: { ...(opts.token ? { token: opts.token } : {}), ...(opts.lastEventId ? { lastEventId: opts.lastEventId } : {}), ...opts.auth },
  })
}

/** Connects and resolves once connected; rejects with the handshake error (its `data` is the envelope). */
export function connectSocket(url: string, opts: ConnectOptions = {}): Promise<TestSocket> {
  const socket = client(url, opts)
  const received: Received[] = []
  const listeners = new Set<() => void>()
  socket.onAny((event: string, payload: unknown) => {
    received.push({ event, payload })
    for (const l of [...listeners]) l()
  })

  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const now = check()
      if (now !== undefined) return resolve(now)
      const timer = setTimeout(() => {
        listeners.delete(listener)
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(received.map((r) => r.event))}`))
      }, timeoutMs)
      const listener = () => {
        const v = check()
        if (v === undefined) return
        clearTimeout(timer)
        listeners.delete(listener)
        resolve(v)
      }
      listeners.add(listener)
    })

  const ts: TestSocket = {
    socket,
    received,
    events: (...names) =>
      received.filter((r) => (names.length ? names.includes(r.event) : !/^(sync|session)\./.test(r.event))),
    waitFor: (event, match = () => true, timeoutMs = 5000) =>
      until(() => received.find((r) => r.event === event && match(r.payload))?.payload, timeoutMs, event),
    waitForCount: (event, count, timeoutMs = 5000) =>
      until(
        () => {
          const matching = received.filter((r) => r.event === event)
          return matching.length >= count ? matching : undefined
        },
        timeoutMs,
        `${count} × ${event}`,
      ),
    request: (event, payload, timeoutMs = 5000) => socket.timeout(timeoutMs).emitWithAck(event, payload),
    close: () => {
      socket.disconnect()
    },
  }
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error')
      resolve(ts)
    })
    socket.once('connect_error', (err) => {
      socket.disconnect()
      reject(err)
    })
    socket.connect()
  })
}

/** Attempts a connection that must fail; resolves with the handshake error's message and envelope. */
export async function connectError(url: string, opts: ConnectOptions = {}): Promise<{ message: string; data: Received['payload'] }> {
  try {
    const s = await connectSocket(url, opts)
    s.close()
  } catch (err) {
    const e = err as Error & { data?: unknown }
    return { message: e.message, data: e.data }
  }
  throw new Error('The connection was accepted')
}
