// Collects the sections of a run into bench/results/<time>.md and .json (not committed); the figures
// worth keeping are copied into docs/benchmarks.md by hand, with the command that produced them.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './luminous.js'
import { machineMarkdown, type Machine } from './machine.js'

export interface Section {
  title: string
  markdown: string
  data: unknown
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results')

export function writeReport(command: string, m: Machine, sections: Section[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const stamp = m.date.replace(/[:.]/g, '-')
  const md = [
    `# Benchmark run ${m.date}`,
    '',
    `Command: \`${command}\``,
    '',
    machineMarkdown(m),
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', s.markdown, '']),
  ].join('\n')
  const file = path.join(RESULTS_DIR, `${stamp}.md`)
  writeFileSync(file, md)
  writeFileSync(
    path.join(RESULTS_DIR, `${stamp}.json`),
    JSON.stringify({ command, machine: m, sections }, null, 2),
  )
  return file
}
