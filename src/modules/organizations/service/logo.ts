// The organization's logo.
import type { Ctx } from '../../../platform/context.js'

/** A short-lived signed URL of the logo, or null when there is none. */
export async function logoUrl(_ctx: Ctx, fileId: string | null): Promise<string | null> {
  if (!fileId) return null
  return null
}
