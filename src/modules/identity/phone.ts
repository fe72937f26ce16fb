// Phone numbers are stored in E.164 (`+14155552671`): they are the natural key of a WhatsApp customer.
// Common input forms (spaces, dashes, parentheses, a leading 00, a national number with a default
// country) are normalised; anything that is not a dialable number is refused with a clear message.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max'
import { ValidationError } from '../../platform/errors.js'

export function normalizePhone(input: string, defaultCountry?: string, path = 'phoneNumber'): string {
  const raw = input.trim().replace(/^00(?=[1-9])/, '+')
  if (!raw) throw ValidationError.field(path, 'must not be empty')
  const country = defaultCountry && /^[A-Z]{2}$/.test(defaultCountry) ? (defaultCountry as CountryCode) : undefined
  const parsed = parsePhoneNumberFromString(raw, country ? { defaultCountry: country } : undefined)
  if (!parsed) {
    throw ValidationError.field(
      path,
      raw.startsWith('+') || country
        ? 'is not a phone number'
        : 'must be in international format with a country code, e.g. +14155552671',
    )
  }
  if (!parsed.isValid()) throw ValidationError.field(path, `is not a valid phone number for its country (${parsed.country ?? `+${parsed.countryCallingCode}`})`)
  return parsed.number
}
