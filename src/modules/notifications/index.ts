// Notifications: what a member should look at — an assignment, a mention, an order that needs them.
// Other modules call `notify` in their own transaction; the member lists and marks them over REST and
// receives `notification.created` on their sockets.
import type { Module } from '../index.js'
import { routes } from './routes.js'

export { notify, type NotifyInput, type NotifyTarget } from './service.js'
export type { NotificationDto } from './schemas.js'

export const notificationsModule: Module = { name: 'notifications', routes }
