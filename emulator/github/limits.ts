// GitHub's rate limits: a primary hourly budget per token, and the secondary limits
// (writes in a sliding window, concurrent requests) that answer 403 + retry-after.

export interface GitHubLimitSettings {
  /** Primary budget per token per hour (x-ratelimit-limit). Default 5000. */
  rateLimit: number
  /** Writes (PUT/POST/PATCH/DELETE) admitted per sliding window; default Infinity (no secondary limit). */
  writesPerMinute: number
  /** The sliding window's length; default 60 000 ms (shorten it to keep tests fast). */
  secondaryWindowMs: number
  /** `retry-after` sent with a secondary-limit 403. Default 1. */
  secondaryRetryAfterSeconds: number
  /** More requests in flight than this answer a secondary-limit 403. Default 100. */
  maxConcurrent: number
}

const HOUR_MS = 3_600_000

export class RateLimits {
  readonly settings: GitHubLimitSettings = {
    rateLimit: 5000,
    writesPerMinute: Infinity,
    secondaryWindowMs: 60_000,
    secondaryRetryAfterSeconds: 1,
    maxConcurrent: 100
  }
  /** Secondary-limit answers so far (writes and concurrency). */
  secondaryHits = 0
  private readonly buckets = new Map<string, { used: number; resetAt: number }>()
  private writes: number[] = []

  constructor(
    private readonly clock: () => number,
    settings: Partial<GitHubLimitSettings> = {}
  ) {
    this.configure(settings)
  }

  configure(settings: Partial<GitHubLimitSettings>): void {
    for (const [key, value] of Object.entries(settings)) {
      if (value !== undefined) Object.assign(this.settings, { [key]: value })
    }
  }

  private bucket(key: string) {
    const now = this.clock()
    let bucket = this.buckets.get(key)
    if (!bucket || bucket.resetAt <= now) {
      bucket = { used: 0, resetAt: now + HOUR_MS }
      this.buckets.set(key, bucket)
    }
    return bucket
  }

  /** Counts a request against the primary budget; false when it is exhausted. */
  consume(key: string): boolean {
    const bucket = this.bucket(key)
    if (bucket.used >= this.settings.rateLimit) return false
    bucket.used++
    return true
  }

  status(key: string) {
    const bucket = this.bucket(key)
    const limit = this.settings.rateLimit
    return {
      limit,
      used: bucket.used,
      remaining: Math.max(0, limit - bucket.used),
      reset: Math.ceil(bucket.resetAt / 1000)
    }
  }

  headers(key: string): Record<string, string> {
    const s = this.status(key)
    return {
      'x-ratelimit-limit': String(s.limit),
      'x-ratelimit-remaining': String(s.remaining),
      'x-ratelimit-reset': String(s.reset),
      'x-ratelimit-used': String(s.used),
      'x-ratelimit-resource': 'core'
    }
  }

  /** Admits a write unless the sliding window is full (rejected writes do not fill it). */
  admitWrite(): boolean {
    const now = this.clock()
    this.writes = this.writes.filter((t) => t > now - this.settings.secondaryWindowMs)
    if (this.writes.length >= this.settings.writesPerMinute) return false
    this.writes.push(now)
    return true
  }

  tooConcurrent(inFlight: number): boolean {
    return inFlight > this.settings.maxConcurrent
  }
}
