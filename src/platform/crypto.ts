// Secrets held for users and tenants (TOTP seeds, WhatsApp and Stripe tokens) are encrypted at rest
// with AES-256-GCM under a key derived from ENCRYPTION_KEY, so a copy of the database alone reveals none.
//
// Format: `v1.<iv>.<tag>.<ciphertext>` (base64url). The version names the key derivation, so the key or
// scheme can change later while old values still decrypt. An optional `context` (e.g. the owning row's
// id) is bound as associated data: a ciphertext copied onto another row then fails to decrypt.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

const keys = new Map<string, Buffer>()

function keyFor(encryptionKey: string): Buffer {
  let key = keys.get(encryptionKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', encryptionKey, 'luminous', 'luminous secrets v1', 32))
    keys.set(encryptionKey, key)
  }
  return key
}

export class DecryptionError extends Error {
  constructor() {
    super('Encrypted value is malformed, was altered, or was encrypted under another key')
    this.name = 'DecryptionError'
  }
}

/** Encrypts `plaintext` under `encryptionKey` (config.ENCRYPTION_KEY). */
export function encryptSecret(encryptionKey: string, plaintext: string, context = ''): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', keyFor(encryptionKey), iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(context, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.')
}

/** Decrypts a value from `encryptSecret`; throws DecryptionError if it was altered or the key differs. */
export function decryptSecret(encryptionKey: string, encrypted: string, context = ''): string {
  const parts = encrypted.split('.')
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError()
  const iv = Buffer.from(parts[1] ?? '', 'base64url')
  const tag = Buffer.from(parts[2] ?? '', 'base64url')
  const body = Buffer.from(parts[3] ?? '', 'base64url')
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError()
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(encryptionKey), iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
  } catch {
    throw new DecryptionError()
  }
}
