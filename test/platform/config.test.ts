import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'luminous-config-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const secrets = { JWT_SECRET: 'j'.repeat(32), ENCRYPTION_KEY: 'e'.repeat(32) }
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, ...secrets, ...env })

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error(`${JSON.stringify(env)} was accepted`)
}

describe('loadConfig', () => {
  it('has working defaults for a fresh clone', () => {
    const config = loadConfig({ DATA_DIR: dataDir })
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      PUBLIC_URL: 'http://localhost:3000',
      DATABASE_URL: undefined,
      STORAGE_DRIVER: 'local',
      LOG_PRETTY: true,
      isProduction: false,
    })
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '30.5' }, 'PORT'],
    [{ EMBEDDED_PG_PORT: '99999' }, 'EMBEDDED_PG_PORT'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ BODY_LIMIT: '1mb' }, 'BODY_LIMIT'],
    [{ RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX'],
    [{ WORKER_CONCURRENCY: 'many' }, 'WORKER_CONCURRENCY'],
    [{ ACCESS_TOKEN_TTL: '15m' }, 'ACCESS_TOKEN_TTL'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ MIGRATE_ON_START: 'yes please' }, 'MIGRATE_ON_START'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ STORAGE_DRIVER: 'floppy' }, 'STORAGE_DRIVER'],
    [{ STORAGE_DRIVER: 's3' }, 'S3_BUCKET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ ENCRYPTION_KEY: 'short' }, 'ENCRYPTION_KEY'],
  ])('refuses %j naming %s', (env, name) => {
    expect(configError(env).message).toContain(name)
  })

  it('accepts well-formed values, with surrounding spaces and PORT=0', () => {
    const config = load({ PORT: ' 0 ', TRUST_PROXY: 'on', CORS_ORIGINS: 'https://a.example, https://b.example', LOG_LEVEL: 'warn' })
    expect(config).toMatchObject({ PORT: 0, TRUST_PROXY: true, CORS_ORIGINS: ['https://a.example', 'https://b.example'], LOG_LEVEL: 'warn' })
  })

  it('fails fast in production without real secrets', () => {
    const base = { DATA_DIR: dataDir, NODE_ENV: 'production' }
    expect(() => loadConfig({ ...base, ENCRYPTION_KEY: secrets.ENCRYPTION_KEY })).toThrow(
      new ConfigError('JWT_SECRET is required when NODE_ENV=production'),
    )
    expect(() => loadConfig({ ...base, JWT_SECRET: secrets.JWT_SECRET })).toThrow(/ENCRYPTION_KEY is required/)
    expect(loadConfig({ ...base, ...secrets })).toMatchObject({ isProduction: true, LOG_PRETTY: false })
  })

  it('generates development secrets once, private to the owner, and keeps them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'luminous-secrets-'))
    try {
      const first = loadConfig({ DATA_DIR: dir })
      const second = loadConfig({ DATA_DIR: dir })
      expect(first.JWT_SECRET.length).toBeGreaterThanOrEqual(32)
      expect(second.JWT_SECRET).toBe(first.JWT_SECRET)
      expect(second.ENCRYPTION_KEY).toBe(first.ENCRYPTION_KEY)
      expect(first.ENCRYPTION_KEY).not.toBe(first.JWT_SECRET)
      const file = path.join(dir, 'secrets.json')
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ JWT_SECRET: first.JWT_SECRET, ENCRYPTION_KEY: first.ENCRYPTION_KEY })
      expect(statSync(file).mode & 0o777).toBe(0o600)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports a bad value in the CLI as one line naming the variable', async () => {
    const { spawnSync } = await import('node:child_process')
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'migrate'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(res.status).toBe(1)
    expect(res.stderr.trim()).toBe('luminous: configuration error: PORT must be a whole number (0 or more), got "eighty"')
  }, 60_000)
})
