// Audit log API: lets owners and admins see who changed what in their organization. Entries are
// written by `audit()` (platform/audit.ts) in the transaction of each change; this module reads them.
import type { Module } from '../index.js'
import { routes } from './routes.js'

export const auditModule: Module = { name: 'audit', routes }
