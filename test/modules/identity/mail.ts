// Reads what identity mailed: the newest stored message to an address and the token in its link.
import type { TestApp } from '../../support/app.js'

export async function mailsTo(t: TestApp, to: string) {
  return t.platform.db.owner.selectFrom('mail_messages').selectAll().where('to_address', '=', to).orderBy('id', 'desc').execute()
}

/** The `token` query parameter of the first link to `path` in the newest mail to `to`. */
export async function tokenMailedTo(t: TestApp, to: string, path: '/reset-password' | '/verify-email'): Promise<string> {
  for (const mail of await mailsTo(t, to)) {
    const m = new RegExp(`https?://\\S+${path}\\?token=([A-Za-z0-9_%-]+)`).exec(mail.text_body ?? '')
    if (m?.[1]) return decodeURIComponent(m[1])
  }
  throw new Error(`no mail to ${to} with a ${path} link`)
}
