// A compiled copy of src/ (each file transpiled by esbuild, the same compiler tsx uses, no bundling),
// to tell the cost of compiling TypeScript on the fly at start from the cost of starting itself.
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './luminous.js'

export const BUILD_DIR = path.join(REPO_ROOT, 'bench/results/build')

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  )
}

/** Builds bench/results/build/src and returns the path of its main.js. */
export async function buildCompiled(): Promise<string> {
  // esbuild comes with tsx; imported lazily so the other benchmarks do not depend on it.
  const { build } = await import('esbuild')
  rmSync(BUILD_DIR, { recursive: true, force: true })
  const srcDir = path.join(REPO_ROOT, 'src')
  const all = files(srcDir)
  await build({
    entryPoints: all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outdir: path.join(BUILD_DIR, 'src'),
    outbase: srcDir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'error',
  })
  // Files the code reads next to itself (word lists and the like).
  for (const f of all.filter((f) => !f.endsWith('.ts'))) {
    const to = path.join(BUILD_DIR, 'src', path.relative(srcDir, f))
    mkdirSync(path.dirname(to), { recursive: true })
    cpSync(f, to)
  }
  // Migrations are found relative to the code (src/platform/db → ../../../db/migrations).
  symlinkSync(path.join(REPO_ROOT, 'db'), path.join(BUILD_DIR, 'db'))
  return path.join(BUILD_DIR, 'src/main.js')
}
