// UUIDv7 ids, generated in the application when a row's id must be known before it is written
// (row-level security checks a new organization's or user's id against the transaction's context).
import { v7 } from 'uuid'

export const newId = (): string => v7()
