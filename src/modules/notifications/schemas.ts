// Schemas of notifications: the object GET /notifications lists, which `notification.created` also carries.
import { Type, type Static } from 'typebox'
import { ListOf, Nullable, Obj, Timestamp, Uuid } from '../../platform/http/schemas.js'

export const NotificationSchema = Obj(
  {
    id: Uuid,
    type: Type.String({ description: 'What happened, for clients to pick an icon and a link', examples: ['lead.assigned'] }),
    title: Type.String({ examples: ['You were assigned a lead'] }),
    body: Nullable(Type.String({ examples: ['Grace Hopper (Acme) was assigned to you by Ada.'] })),
    data: Type.Object({}, { additionalProperties: true, description: 'Ids and details for the client', examples: [{ leadId: '0193a7e2-5c1d-7b7e-9a40-3c2f1e0d9b11' }] }),
    readAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { title: 'Notification' },
)
export type NotificationDto = Static<typeof NotificationSchema>

export const NotificationPage = Type.Object(
  {
    ...ListOf(NotificationSchema).properties,
    unreadCount: Type.Integer({ minimum: 0, description: 'Unread notifications of the caller, whatever the filters' }),
  },
  { title: 'NotificationPage' },
)
export type NotificationPageDto = Static<typeof NotificationPage>

export const NotificationListExtras = {
  unread: Type.Optional(Type.Boolean({ description: 'Only unread notifications' })),
}

export const ReadAllResult = Obj(
  {
    updated: Type.Integer({ minimum: 0, description: 'Notifications that were unread and are now read' }),
    readAt: Timestamp,
  },
  { title: 'NotificationsReadAll' },
)
export type ReadAllDto = Static<typeof ReadAllResult>
