// Unit tests: the password policy, argon2id hashing and phone normalisation (no HTTP, no database).
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src/platform/errors.js'
import { assertPasswordPolicy, hashPassword, isCommonPassword, passwordProblems, verifyPassword } from '../../../src/modules/identity/password.js'
import { normalizePhone } from '../../../src/modules/identity/phone.js'

describe('password policy', () => {
  it('accepts a long, uncommon password unrelated to the e-mail', () => {
    expect(passwordProblems('violet-otter-kettle-93', { email: 'ada@example.com' })).toEqual([])
    expect(() => assertPasswordPolicy('violet-otter-kettle-93', { email: 'ada@example.com' })).not.toThrow()
  })

  it('counts characters, not bytes: 10 emoji pass, 9 do not', () => {
    expect(passwordProblems('🦊'.repeat(10))).toEqual([])
    expect(passwordProblems('🦊'.repeat(9))).toEqual(['must be at least 10 characters long'])
  })

  it('bounds the length at 10 and 128', () => {
    expect(passwordProblems('a1b2c3d4e')).toEqual(['must be at least 10 characters long'])
    expect(passwordProblems('x'.repeat(128).replace(/x/g, (_c, i: number) => String.fromCharCode(97 + (i % 26))))).toEqual([])
    expect(passwordProblems('y'.repeat(129))).toEqual(['must be at most 128 characters long'])
  })

  it('refuses common passwords whatever their letter case', () => {
    expect(isCommonPassword('password')).toBe(true)
    expect(isCommonPassword('QWERTYUIOP')).toBe(true)
    expect(isCommonPassword('1234567890')).toBe(true)
    expect(passwordProblems('Password123')).toEqual(['is one of the most commonly used passwords; choose a less predictable one'])
    expect(isCommonPassword('violet-otter-kettle-93')).toBe(false)
  })

  it('ships at least the top 1,000 common passwords', async () => {
    const { readFile } = await import('node:fs/promises')
    const lines = (await readFile(new URL('../../../src/modules/identity/common-passwords.txt', import.meta.url), 'utf8'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
    expect(lines.length).toBeGreaterThanOrEqual(1000)
  })

  it('refuses a password equal to or containing the e-mail or its local part', () => {
    const email = 'Grace.Hopper@example.com'
    expect(passwordProblems('grace.hopper@example.com', { email })).toContain('must not contain your e-mail address')
    expect(passwordProblems('my-grace.hopper-pass', { email })).toContain('must not contain your e-mail address')
    // A one- or two-letter local part only counts as the whole password.
    expect(passwordProblems('jo-is-a-long-passphrase', { email: 'jo@example.com' })).toEqual([])
  })

  it('throws a ValidationError on the given path naming every broken rule', () => {
    try {
      assertPasswordPolicy('ada-lovelace-password', { email: 'ada-lovelace@example.com', path: 'newPassword' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).details).toEqual([{ path: 'newPassword', message: 'must not contain your e-mail address' }])
    }
  })
})

describe('argon2id hashing', () => {
  it('hashes with the OWASP parameters and verifies only the right password', async () => {
    const hash = await hashPassword('violet-otter-kettle-93')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(hash, 'violet-otter-kettle-93')).toBe(true)
    expect(await verifyPassword(hash, 'violet-otter-kettle-94')).toBe(false)
    expect(await verifyPassword('not a hash', 'anything')).toBe(false)
  })

  it('runs off the event loop: a timer fires while hashes are computed', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    await Promise.all([hashPassword('a-first-password-1'), hashPassword('a-second-password-2')])
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(0)
  })
})

describe('normalizePhone', () => {
  it('accepts common forms and returns E.164', () => {
    expect(normalizePhone('+1 (415) 555-2671')).toBe('+14155552671')
    expect(normalizePhone('0044 20 7946 0958')).toBe('+442079460958')
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958')
    expect(normalizePhone('+2348031234567')).toBe('+2348031234567')
  })

  it('refuses numbers without a country, invalid ones and blanks with a clear message', () => {
    expect(() => normalizePhone('4155552671')).toThrow(/international format/)
    expect(() => normalizePhone('+1 555 000 0000')).toThrow(/not a valid phone number/)
    expect(() => normalizePhone('hello')).toThrow(ValidationError)
    expect(() => normalizePhone('   ')).toThrow(/must not be empty/)
  })
})
