import type { Insertable } from 'kysely'
import type { Executor } from '../../platform/db/database.js'
import type { FileRow, FilesTable } from './tables.js'
import './tables.js'

export async function insertFile(db: Executor, values: Insertable<FilesTable>): Promise<FileRow> {
  return db.insertInto('files').values(values).returningAll().executeTakeFirstOrThrow()
}

/** A live (not deleted) file visible to the transaction's tenant. */
export async function findFile(db: Executor, id: string): Promise<FileRow | undefined> {
  return db.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst()
}

/** Marks the file deleted; undefined when it was not there (or not writable by this tenant). */
export async function markDeleted(db: Executor, id: string): Promise<FileRow | undefined> {
  return db
    .updateTable('files')
    .set({ deleted_at: new Date() })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}
