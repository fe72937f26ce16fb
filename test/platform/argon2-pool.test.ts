import { describe, expect, it } from 'vitest'
import { Argon2Pool } from '../../src/platform/auth/argon2-pool.js'

const options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

describe('argon2 worker pool', () => {
  const pool = new Argon2Pool(2)

  it('hashes with argon2id at the given cost and verifies', async () => {
    const hash = await pool.hash('correct horse battery staple', options)
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await pool.verify(hash, 'correct horse battery staple')).toBe(true)
    expect(await pool.verify(hash, 'wrong')).toBe(false)
  })

  it('rejects a malformed hash without breaking the pool', async () => {
    await expect(pool.verify('not-a-hash', 'x')).rejects.toThrow()
    expect(await pool.verify(await pool.hash('still works', options), 'still works')).toBe(true)
  })

  it('runs many requests concurrently and answers each its own', async () => {
    const passwords = Array.from({ length: 8 }, (_, i) => `password-number-${i}`)
    const hashes = await Promise.all(passwords.map((p) => pool.hash(p, options)))
    const checks = await Promise.all(hashes.map((h, i) => pool.verify(h, passwords[(i + 1) % passwords.length]!)))
    expect(checks.every((c) => c === false)).toBe(true)
    expect(await Promise.all(hashes.map((h, i) => pool.verify(h, passwords[i]!)))).toEqual(passwords.map(() => true))
  })
})
