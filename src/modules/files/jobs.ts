// Background work of the files module: removing the bytes of deleted files from storage.
import type { Platform } from '../../platform/platform.js'
import { PURGE_TASK } from './service.js'

export function registerFileJobs(platform: Platform): void {
  // Deleting an absent object succeeds, so a replayed job is harmless; a storage outage throws and
  // the job is retried with backoff.
  platform.jobs.register<{ key: string }>(PURGE_TASK, async ({ key }) => {
    await platform.storage.delete(key)
  })
}
