// The README's configuration table and .env.example must name exactly the settings of src/config.ts,
// with the defaults the code uses. A failure prints the rows to paste.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { settings } from '../src/config.js'

const root = path.resolve(import.meta.dirname, '..')
const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
const envExample = readFileSync(path.join(root, '.env.example'), 'utf8')

interface SettingDoc {
  default: unknown
  doc: string
  defaultDoc?: string
}
const all = Object.entries(settings as Record<string, SettingDoc>)

/** How the README shows a default: the documented stand-in, a code span, or a dash for "unset". */
function defaultCell(s: SettingDoc): string {
  if (s.defaultDoc) return s.defaultDoc
  if (s.default === undefined) return '—'
  const value = Array.isArray(s.default) ? s.default.join(',') : String(s.default)
  return `\`${value}\``
}

const expectedRow = (name: string, s: SettingDoc) =>
  `| \`${name}\` | ${defaultCell(s)} | ${s.doc.replace(/\|/g, '\\|')} |`

/** Rows of the table under the "## Configuration" heading: variable name → default cell. */
function readmeTable(): Map<string, string> {
  const start = readme.indexOf('\n## Configuration')
  expect(start, 'README.md has a "## Configuration" section').toBeGreaterThan(-1)
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const rows = new Map<string, string>()
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(.*?)\s*\|/.exec(line)
    if (m) rows.set(m[1]!, m[2]!)
  }
  return rows
}

describe('README configuration table', () => {
  const rows = readmeTable()

  it('lists every setting of src/config.ts', () => {
    const missing = all.filter(([name]) => !rows.has(name))
    expect(
      missing.map(([name, s]) => expectedRow(name, s)),
      'add these rows to the README table',
    ).toEqual([])
  })

  it('names no variable that does not exist', () => {
    const known = new Set(all.map(([name]) => name))
    expect([...rows.keys()].filter((name) => !known.has(name))).toEqual([])
  })

  it('shows the defaults the code uses', () => {
    const wrong = all
      .filter(([name, s]) => rows.has(name) && rows.get(name) !== defaultCell(s))
      .map(([name, s]) => ({ name, readme: rows.get(name), expected: defaultCell(s) }))
    expect(wrong).toEqual([])
  })
})

describe('.env.example', () => {
  const names = new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))

  it('lists every setting', () => {
    expect(all.map(([name]) => name).filter((name) => !names.has(name))).toEqual([])
  })

  it('names no variable that does not exist', () => {
    expect([...names].filter((name) => !(name in settings))).toEqual([])
  })
})
