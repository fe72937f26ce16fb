// The notification list: newest first by default, filterable by type and date.
import { defineList } from '../../platform/http/lists.js'

export const notificationList = defineList({
  fields: {
    createdAt: { column: 'created_at', type: 'date', sort: true, filter: ['gt', 'gte', 'lt', 'lte'] },
    type: { column: 'type', type: 'string', filter: ['eq', 'ne', 'in', 'nin', 'startsWith'] },
  },
  defaultSort: '-createdAt',
})
