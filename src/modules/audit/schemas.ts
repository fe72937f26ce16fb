// Schemas of the audit log API.
import { Type, type Static } from 'typebox'
import { Nullable, Obj, Timestamp, Uuid } from '../../platform/http/schemas.js'

export const AuditLogSchema = Obj(
  {
    id: Uuid,
    actor: Obj({
      type: Type.Enum(['user', 'api_key', 'system'], { examples: ['user'] }),
      id: Nullable(Uuid),
    }),
    entity: Type.String({ examples: ['organization'] }),
    entityId: Type.String({ examples: ['0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11'] }),
    action: Type.String({ examples: ['updated'] }),
    changes: Nullable(
      Type.Object({}, {
        additionalProperties: true,
        description: 'Changed fields as `{ field: { from, to } }`, or a snapshot for creates and deletes',
        examples: [{ name: { from: 'Acme', to: 'Acme Inc.' } }],
      }),
    ),
    requestId: Nullable(Type.String()),
    ip: Nullable(Type.String({ examples: ['203.0.113.7'] })),
    createdAt: Timestamp,
  },
  { title: 'AuditLog' },
)
export type AuditLogDto = Static<typeof AuditLogSchema>

/** Shorthands for the common filters; `filter[field][op]` offers the same and more. */
export const AuditLogListExtras = {
  entity: Type.Optional(Type.String({ maxLength: 100, description: 'Same as `filter[entity][eq]`', examples: ['organization'] })),
  entityId: Type.Optional(Type.String({ maxLength: 200, description: 'Same as `filter[entityId][eq]`' })),
  actorId: Type.Optional(Type.String({ format: 'uuid', description: 'Same as `filter[actorId][eq]`' })),
  action: Type.Optional(Type.String({ maxLength: 100, description: 'Same as `filter[action][eq]`', examples: ['updated'] })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after this time', examples: ['2026-01-01T00:00:00Z'] })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this time', examples: ['2026-02-01T00:00:00Z'] })),
}
