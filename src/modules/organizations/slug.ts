// URL-friendly organization slugs derived from the business name, unique across organizations.
import { randomBytes } from 'node:crypto'
import type { Executor } from '../../platform/db/database.js'
import { slugTaken } from './queries.js'

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

export async function uniqueSlug(db: Executor, name: string): Promise<string> {
  const base = slugify(name)
  if (!(await slugTaken(db, base))) return base
  for (let n = 2; n <= 20; n++) {
    const candidate = `${base}-${n}`
    if (!(await slugTaken(db, candidate))) return candidate
  }
  return `${base}-${randomBytes(3).toString('hex')}`
}
