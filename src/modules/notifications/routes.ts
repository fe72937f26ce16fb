// The signed-in member's notifications (seed 004): list with the unread count, mark one or all read.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { listQuerystring, type ListParams } from '../../platform/http/lists.js'
import { errorResponses, IdParams, Obj } from '../../platform/http/schemas.js'
import type { Platform } from '../../platform/platform.js'
import { notificationList } from './lists.js'
import { NotificationListExtras, NotificationPage, NotificationSchema, ReadAllResult } from './schemas.js'
import { listNotifications, readAllNotifications, readNotification } from './service.js'

const tags = ['Notifications']
// The PUTs take no input: no body or `{}`; any field is a 400. A missing body becomes `{}` before
// validation, since no object schema accepts `undefined`.
const NoBody = Obj({}, { description: 'No input: send no body or an empty object' })
const noBodyDefault = async (request: { body: unknown }) => {
  request.body ??= {}
}
const realtime =
  'Connected sockets receive `notification.created` with the same object, and `notification.read` / ' +
  '`notification.read_all` when another device marks them.'

export const routes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/notifications', {
      schema: {
        tags,
        summary: 'Your notifications in this organization',
        description: `Newest first. \`unread=true\` lists only unread ones; \`unreadCount\` is always the total unread. ${realtime}`,
        querystring: listQuerystring(notificationList, NotificationListExtras),
        response: { 200: NotificationPage, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => listNotifications(request.ctx, request.query as ListParams & { unread?: boolean }),
    })

    app.put('/notifications/read-all', {
      schema: {
        tags,
        summary: 'Mark all your notifications read',
        body: NoBody,
        response: { 200: ReadAllResult, ...errorResponses(400, 401, 403) },
      },
      preValidation: noBodyDefault,
      handler: async (request) => readAllNotifications(request.ctx),
    })

    app.put('/notifications/:id/read', {
      schema: {
        tags,
        summary: 'Mark one notification read',
        description: 'Marking a notification that is already read changes nothing and returns it.',
        params: IdParams,
        body: NoBody,
        response: { 200: NotificationSchema, ...errorResponses(400, 401, 403, 404) },
      },
      preValidation: noBodyDefault,
      handler: async (request) => readNotification(request.ctx, request.params.id),
    })
  }
