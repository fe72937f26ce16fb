// This node's reader of the delivery stream. Events reach the node two ways: batches its own
// dispatcher committed (handed over in memory), and a wake-up from another node's dispatcher carried
// by the Socket.IO adapter, or the periodic poll, after which the node reads what it has not seen from
// the database by seq. Either way each event is fanned out to the local sockets once, in seq order;
// a lost or reordered wake-up only delays delivery until the next one.
import type { Executor } from '../db/database.js'
import type { DispatchedBatch, StreamEvent } from '../events/dispatcher.js'
import { streamAfter, streamHead } from './queries.js'

const PAGE = 500

export class NodeStream {
  /** Seq of the last event fanned out on this node. */
  head = 0
  private queue: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly owner: Executor,
    private readonly deliver: (events: StreamEvent[]) => void,
    private readonly log: { error(obj: object, msg: string): void },
  ) {}

  /** Starts at the current end of the stream: connections receive what is dispatched from now on. */
  async init(): Promise<void> {
    this.head = await streamHead(this.owner)
    this.stopped = false
  }

  /** A batch this node's dispatcher committed. */
  offer(batch: DispatchedBatch): void {
    this.enqueue(async () => {
      if (batch.to <= this.head) return
      if (batch.from <= this.head) this.apply(batch.events.filter((e) => e.seq > this.head))
      else await this.catchUp()
    })
  }

  /** Another node dispatched up to `to` (or the poll asks): read whatever this node has not seen. */
  wake(to?: number): void {
    this.enqueue(async () => {
      if (to !== undefined && to <= this.head) return
      await this.catchUp()
    })
  }

  /** Stops taking work and waits for the read in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.queue
  }

  /** Resolves when everything queued so far has been fanned out (tests). */
  settled(): Promise<void> {
    return this.queue
  }

  private enqueue(task: () => Promise<void>): void {
    if (this.stopped) return
    this.queue = this.queue.then(task).catch((err: unknown) => this.log.error({ err }, 'event stream read failed'))
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.stopped) return
      // Seq is handed out by one dispatcher at a time and committed before anyone reads it, so every
      // seq below a visible one is visible too: reading "after head" never skips an event.
      const events = await streamAfter(this.owner, this.head, PAGE)
      this.apply(events)
      if (events.length < PAGE) return
    }
  }

  private apply(events: StreamEvent[]): void {
    const last = events[events.length - 1]
    if (!last) return
    try {
      this.deliver(events)
    } finally {
      this.head = last.seq
    }
  }
}
