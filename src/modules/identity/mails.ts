// The e-mails identity sends. Plain text first (it is what the development mailbox shows and what
// every client can read); the HTML part says the same with the user's name escaped.

export interface MailContent {
  subject: string
  text: string
  html: string
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

function compose(subject: string, greeting: string, paragraphs: string[], link?: { url: string; label: string }): MailContent {
  const text = [greeting, '', ...paragraphs.flatMap((p) => [p, '']), ...(link ? [`${link.label}: ${link.url}`, ''] : []), '— Luminous'].join('\n')
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
    '<p>— Luminous</p>',
  ].join('\n')
  return { subject, text, html }
}

export const verificationMail = (firstName: string, url: string, hours: number): MailContent =>
  compose(
    'Confirm your e-mail address for Luminous',
    `Hello ${firstName},`,
    [`Please confirm that this is your e-mail address. The link works once and expires in ${hours} hours.`],
    { url, label: 'Confirm my e-mail address' },
  )

export const passwordResetMail = (firstName: string, url: string, minutes: number): MailContent =>
  compose(
    'Reset your Luminous password',
    `Hello ${firstName},`,
    [
      `Someone asked to reset the password of your Luminous account. The link works once and expires in ${minutes} minutes.`,
      'If it was not you, ignore this message: your password stays as it is.',
    ],
    { url, label: 'Choose a new password' },
  )

export const passwordChangedMail = (firstName: string): MailContent =>
  compose('Your Luminous password was changed', `Hello ${firstName},`, [
    'The password of your Luminous account was just changed, and your other sessions were signed out.',
    'If you did not do this, reset your password at once and contact your administrator.',
  ])

export type TwoFactorChange = 'enabled' | 'disabled' | 'recovery_codes_regenerated'

const TWO_FACTOR_NOTICES: Record<TwoFactorChange, { subject: string; what: string }> = {
  enabled: { subject: 'Two-factor authentication is on', what: 'Two-factor authentication was turned on for your Luminous account.' },
  disabled: { subject: 'Two-factor authentication is off', what: 'Two-factor authentication was turned off for your Luminous account.' },
  recovery_codes_regenerated: {
    subject: 'New two-factor recovery codes',
    what: 'New recovery codes were made for your Luminous account; the old ones no longer work.',
  },
}

export const twoFactorChangedMail = (firstName: string, change: TwoFactorChange): MailContent =>
  compose(`Luminous: ${TWO_FACTOR_NOTICES[change].subject}`, `Hello ${firstName},`, [
    TWO_FACTOR_NOTICES[change].what,
    'If you did not do this, change your password at once and contact your administrator.',
  ])
