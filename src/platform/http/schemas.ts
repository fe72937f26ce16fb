// Schema helpers shared by every module: strict objects (unknown fields are a 400), ids, timestamps,
// money, list envelopes and list queries, per API-CONVENTIONS.
import { Type, type TObject, type TProperties, type TSchema } from 'typebox'

/** An object schema that rejects unknown fields. */
export const Obj = <P extends TProperties>(properties: P, options: Record<string, unknown> = {}): TObject<P> =>
  Type.Object(properties, { additionalProperties: false, ...options })

export const Uuid = Type.String({ format: 'uuid', examples: ['0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11'] })
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-01-31T12:00:00.000Z'] })
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()])
export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['ada@example.com'] })
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', examples: ['USD'] })
export const Money = Obj({ amount: Type.Integer({ description: 'Minor units' }), currency: CurrencyCode })

export const IdParams = Obj({ id: Uuid })

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  sort: Type.Optional(Type.String({ maxLength: 200, examples: ['-createdAt'] })),
  count: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ maxLength: 200 })),
}

export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    nextCursor: Nullable(Type.String()),
    hasMore: Type.Boolean(),
    total: Type.Optional(Type.Integer()),
  })

/** Standard error responses for OpenAPI, referencing the shared envelope. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, Type.Ref('ErrorEnvelope')]))
