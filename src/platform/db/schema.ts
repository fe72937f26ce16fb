// The Kysely table map. It starts empty; each module adds its own tables by declaration merging in
// its `tables.ts`:
//
//   declare module '../../platform/db/schema.js' {
//     interface Database { contacts: ContactsTable }
//   }
//
// so the platform never imports a module, and a module's tables live beside its queries.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}
