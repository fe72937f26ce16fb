import type { Generated, Selectable } from 'kysely'

export type FileKind = 'image' | 'video' | 'audio' | 'document'

export interface FilesTable {
  id: string
  org_id: string
  owner_id: string | null
  purpose: string
  name: string
  size: number
  content_type: string
  kind: FileKind
  sha256: string
  storage_key: string
  width: number | null
  height: number | null
  created_at: Generated<Date>
  deleted_at: Date | null
}

export type FileRow = Selectable<FilesTable>

declare module '../../platform/db/schema.js' {
  interface Database {
    files: FilesTable
  }
}
