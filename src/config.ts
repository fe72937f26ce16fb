// Every environment variable Luminous reads, parsed and validated once. Nothing else reads process.env.
// The README's configuration table is checked against `settings` by a test, so keep `doc` honest.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

type Parser<T> = (raw: string, name: string) => T

interface Setting<T> {
  default: T | undefined
  parse: Parser<T>
  doc: string
  /** Shown in the README instead of the literal default (for computed defaults). */
  defaultDoc?: string
}

export class ConfigError extends Error {}

const str: Parser<string> = (raw) => raw
const int: Parser<number> = (raw, name) => {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${name} must be a whole number (0 or more), got "${raw}"`)
  return n
}
const positive: Parser<number> = (raw, name) => {
  const n = int(raw, name)
  if (n < 1) throw new ConfigError(`${name} must be at least 1, got "${raw}"`)
  return n
}
/** 0 lets the system pick a free port. */
const port: Parser<number> = (raw, name) => {
  const n = int(raw, name)
  if (n > 65535) throw new ConfigError(`${name} must be a TCP port (0-65535), got "${raw}"`)
  return n
}
const bool: Parser<boolean> = (raw, name) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new ConfigError(`${name} must be true or false, got "${raw}"`)
}
const url: Parser<string> = (raw, name) => {
  try {
    return new URL(raw).toString().replace(/\/$/, '')
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`)
  }
}
const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw, name) => {
    if ((values as string[]).includes(raw)) return raw as T
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`)
  }

const def = <T>(d: T | undefined, parse: Parser<T>, doc: string, defaultDoc?: string): Setting<T> => ({
  default: d,
  parse,
  doc,
  ...(defaultDoc ? { defaultDoc } : {}),
})

export const settings = {
  NODE_ENV: def('development', oneOf('development', 'production', 'test'), 'Runtime mode. `production` requires real secrets and hides development routes.'),
  HOST: def('0.0.0.0', str, 'Interface the HTTP server binds to.'),
  PORT: def(3000, port, 'HTTP (REST + Socket.IO) port.'),
  PUBLIC_URL: def(undefined, url, 'Public base URL, used in e-mailed links and signed download URLs.', 'http://localhost:$PORT'),
  TRUST_PROXY: def(false, bool, 'Trust `X-Forwarded-*` headers (set when behind a load balancer).'),
  DATA_DIR: def('.data', str, 'Directory for the embedded PostgreSQL, local files and development secrets.'),
  DATABASE_URL: def(undefined, str, 'External PostgreSQL (>= 15) URL of the owner role. Unset: an embedded PostgreSQL under `$DATA_DIR/postgres`.', '(embedded)'),
  DATABASE_APP_URL: def(undefined, str, 'Optional URL for the application role. Unset: the app connects with `DATABASE_URL` and switches to the `luminous_app` role (no superuser, no BYPASSRLS).', '(derived)'),
  DATABASE_POOL_SIZE: def(10, positive, 'Connections in the application pool.'),
  EMBEDDED_PG_PORT: def(54329, port, 'Port of the embedded PostgreSQL.'),
  MIGRATE_ON_START: def(true, bool, 'Apply pending migrations when the server starts.'),
  JWT_SECRET: def(undefined, str, 'Secret (>= 32 chars) that signs access tokens. Required in production; generated into `$DATA_DIR/secrets.json` otherwise.', '(generated)'),
  ENCRYPTION_KEY: def(undefined, str, 'Key (>= 32 chars) that encrypts tenant secrets at rest. Required in production; generated otherwise.', '(generated)'),
  ACCESS_TOKEN_TTL: def(900, positive, 'Access token lifetime in seconds.'),
  REFRESH_TOKEN_TTL: def(60 * 60 * 24 * 30, positive, 'Refresh token lifetime in seconds (sliding, per rotation).'),
  CORS_ORIGINS: def([], list, 'Comma-separated allowed browser origins; `*` allows any. Empty: same-origin only.', '(none)'),
  BODY_LIMIT: def(1024 * 1024, positive, 'Largest JSON body in bytes (uploads have their own limits).'),
  RATE_LIMIT_MAX: def(600, positive, 'Requests per minute per user, API key or IP on ordinary routes.'),
  AUTH_RATE_LIMIT_MAX: def(20, positive, 'Requests per minute per IP on sensitive auth routes (login, register, reset).'),
  REDIS_URL: def(undefined, str, 'Redis URL. Set: Socket.IO uses the Redis adapter. Unset: the PostgreSQL adapter.'),
  EVENTS_DISPATCHER: def(true, bool, 'Run the outbox dispatcher in this server process. Any number of nodes may run it (they share the work without duplicates); turn it off on nodes that should only serve.'),
  EVENTS_POLL_INTERVAL: def(5000, int, 'Milliseconds between fallback checks of the outbox and the event stream, for when a LISTEN/NOTIFY wake-up or an adapter message is lost.'),
  EVENTS_RETENTION_DAYS: def(7, int, 'Days dispatched events are kept: the window in which a reconnecting socket can replay what it missed.'),
  SOCKET_RATE_LIMIT_MAX: def(120, int, 'Events per minute a single socket connection may emit.'),
  SOCKET_SESSION_CHECK_INTERVAL: def(60, int, 'Seconds between re-checks of connected sockets against the database; a revoked session or removed member is disconnected.'),
  STORAGE_DRIVER: def(undefined, oneOf('local', 's3'), 'File storage driver. Defaults to `s3` when `S3_BUCKET` is set, else `local` (`$DATA_DIR/files`).', '(auto)'),
  S3_BUCKET: def(undefined, str, 'S3 bucket for files.'),
  S3_REGION: def('us-east-1', str, 'S3 region.'),
  S3_ENDPOINT: def(undefined, str, 'S3-compatible endpoint (MinIO, R2, ...). Unset: AWS.'),
  S3_ACCESS_KEY_ID: def(undefined, str, 'S3 access key id.'),
  S3_SECRET_ACCESS_KEY: def(undefined, str, 'S3 secret access key.'),
  S3_FORCE_PATH_STYLE: def(false, bool, 'Use path-style S3 URLs (needed by most S3-compatible servers).'),
  FILE_MAX_IMAGE_BYTES: def(10 * 1024 * 1024, int, 'Largest image upload in bytes.'),
  FILE_MAX_VIDEO_BYTES: def(100 * 1024 * 1024, int, 'Largest video upload in bytes.'),
  FILE_MAX_AUDIO_BYTES: def(25 * 1024 * 1024, int, 'Largest audio upload in bytes.'),
  FILE_MAX_DOCUMENT_BYTES: def(25 * 1024 * 1024, int, 'Largest document upload (PDF, office files, plain text) in bytes.'),
  FILE_URL_TTL: def(600, int, 'Lifetime in seconds of the signed download URLs the API hands out.'),
  SMTP_URL: def(undefined, str, 'SMTP server URL (`smtp://user:pass@host:587`). Unset: mail is stored and readable at `/api/v1/dev/mailbox` outside production.'),
  MAIL_FROM: def('Luminous <no-reply@luminous.local>', str, 'Sender of outgoing e-mail.'),
  RUN_WORKER: def(true, bool, 'Run background job workers inside the server process (`npm run worker` runs them alone).'),
  WORKER_CONCURRENCY: def(4, positive, 'Jobs run concurrently per worker process.'),
  LOG_LEVEL: def('info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'Log level.'),
  LOG_PRETTY: def(undefined, bool, 'Human-readable logs. Defaults to true in development, JSON otherwise.', '(auto)'),
  METRICS_TOKEN: def(undefined, str, 'Bearer token that `/metrics` requires. Unset: `/metrics` is open (keep it off the public network).'),
} satisfies Record<string, Setting<unknown>>

type Settings = typeof settings
type Parsed = { [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never }

export interface Config extends Omit<Parsed, 'PUBLIC_URL' | 'JWT_SECRET' | 'ENCRYPTION_KEY' | 'STORAGE_DRIVER' | 'LOG_PRETTY'> {
  PUBLIC_URL: string
  JWT_SECRET: string
  ENCRYPTION_KEY: string
  STORAGE_DRIVER: 'local' | 's3'
  LOG_PRETTY: boolean
  isProduction: boolean
}

/** Secrets generated once for development and kept beside the embedded database. */
function devSecret(dataDir: string, key: 'JWT_SECRET' | 'ENCRYPTION_KEY'): string {
  const file = path.resolve(dataDir, 'secrets.json')
  let stored: Record<string, string> = {}
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  if (!stored[key]) {
    stored[key] = randomBytes(32).toString('base64url')
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 })
  }
  return stored[key]
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[name]
    out[name] = raw === undefined || raw === '' ? s.default : s.parse(raw, name)
  }
  const p = out as Parsed
  const isProduction = p.NODE_ENV === 'production'
  for (const key of ['JWT_SECRET', 'ENCRYPTION_KEY'] as const) {
    const v = p[key]
    if (v === undefined) {
      if (isProduction) throw new ConfigError(`${key} is required when NODE_ENV=production`)
      out[key] = devSecret(p.DATA_DIR, key)
    } else if (v.length < 32) {
      throw new ConfigError(`${key} must be at least 32 characters`)
    }
  }
  if (p.S3_BUCKET === undefined && p.STORAGE_DRIVER === 's3') throw new ConfigError('STORAGE_DRIVER=s3 needs S3_BUCKET')
  return {
    ...p,
    PUBLIC_URL: p.PUBLIC_URL ?? `http://localhost:${p.PORT}`,
    JWT_SECRET: out.JWT_SECRET as string,
    ENCRYPTION_KEY: out.ENCRYPTION_KEY as string,
    STORAGE_DRIVER: p.STORAGE_DRIVER ?? (p.S3_BUCKET ? 's3' : 'local'),
    LOG_PRETTY: p.LOG_PRETTY ?? p.NODE_ENV === 'development',
    isProduction,
  }
}
