// Per-connection limit on events a client emits: a token bucket holding a minute's allowance, refilled
// continuously, so short bursts pass and a sustained flood does not.
export class TokenBucket {
  private tokens: number
  private last: number
  private denied = 0

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perMinute
    this.last = now()
  }

  take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.perMinute, this.tokens + ((t - this.last) * this.perMinute) / 60_000)
    this.last = t
    if (this.tokens >= 1) {
      this.tokens -= 1
      this.denied = 0
      return true
    }
    this.denied++
    return false
  }

  /** Seconds until the next event would pass. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute / 1000))
  }

  /** The client kept sending a whole minute's allowance after being refused: not a client bug, a flood. */
  get abusive(): boolean {
    return this.denied > this.perMinute
  }
}
