// URL-friendly organization slugs derived from the business name, unique across organizations.
import { randomBytes } from 'node:crypto'
import type { Executor } from '../../platform/db/database.js'
import { slugTaken } from './queries/organizations.js'

export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '')
  return base || 'org'
}

/**
 * Slugs for `name` that look free right now: `acme`, `acme-2` ... `acme-20`, then random suffixes
 * without end. "Look free": a concurrent registration may still take one first, so the caller inserts
 * with a conflict check and asks for the next candidate when it loses.
 */
export async function* slugCandidates(db: Executor, name: string): AsyncGenerator<string> {
  const base = slugify(name)
  for (let n = 1; n <= 20; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`
    if (!(await slugTaken(db, candidate))) yield candidate
  }
  for (;;) yield `${base}-${randomBytes(3).toString('hex')}`
}
