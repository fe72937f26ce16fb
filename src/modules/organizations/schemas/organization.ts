// Schemas of the business profile.
import { Type, type Static } from 'typebox'
import { Nullable, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'
import { RoleSchema } from './members.js'

const text = (maxLength: number, example: string) => Type.String({ maxLength, examples: [example] })

export const OrganizationSchema = Obj(
  {
    id: Uuid,
    name: Type.String({ examples: ['Acme Coffee'] }),
    slug: Type.String({ examples: ['acme-coffee'] }),
    description: Nullable(Type.String()),
    logo: Nullable(Type.String({ format: 'uri', description: 'Short-lived signed URL of the logo (WebP), or null' })),
    address: Nullable(Type.String()),
    city: Nullable(Type.String()),
    state: Nullable(Type.String()),
    zipCode: Nullable(Type.String()),
    country: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2', examples: ['US'] })),
    currency: Type.String({ description: 'ISO 4217', examples: ['USD'] }),
    timezone: Type.String({ description: 'IANA time zone', examples: ['America/New_York'] }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Organization' },
)
export type OrganizationDto = Static<typeof OrganizationSchema>

export const ProfileUpdateSchema = Obj(
  {
    name: Type.Optional(text(200, 'Acme Coffee')),
    description: Type.Optional(Nullable(text(2000, 'Single-origin coffee, roasted weekly.'))),
    address: Type.Optional(Nullable(text(500, '12 Harbour Street'))),
    city: Type.Optional(Nullable(text(120, 'Portland'))),
    state: Type.Optional(Nullable(text(120, 'OR'))),
    zipCode: Type.Optional(Nullable(text(20, '97201'))),
    country: Type.Optional(Nullable(Type.String({ maxLength: 2, description: 'ISO 3166-1 alpha-2', examples: ['US'] }))),
    currency: Type.Optional(Type.String({ maxLength: 3, description: 'ISO 4217', examples: ['USD'] })),
    timezone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone', examples: ['America/Los_Angeles'] })),
  },
  {
    title: 'OrganizationProfileUpdate',
    minProperties: 1,
    description: 'Fields to change; omitted fields keep their value, null clears an optional field.',
  },
)
export type ProfileUpdate = Static<typeof ProfileUpdateSchema>

export const MyOrganizationSchema = Obj(
  {
    id: Uuid,
    name: Type.String(),
    slug: Type.String(),
    role: RoleSchema,
    joinedAt: Timestamp,
    current: Type.Boolean({ description: 'The organization the access token is for' }),
  },
  { title: 'MyOrganization' },
)
export type MyOrganizationDto = Static<typeof MyOrganizationSchema>
