// The accounts context: people, their sessions, their acceptance of the policy and terms, and the
// registry through which every context serves "download my data" and "delete my account".
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { accountPageRoutes } from './page-routes.ts'
import { accountRoutes, UserBody } from './routes.ts'
import { AccountsService } from './service.ts'

export { AccountsService, acceptanceRequired } from './service.ts'
export type { User, Role, PersonalDataContributor, CurrentDocuments, DocumentKind } from './service.ts'
export { parseEmail } from './fields.ts'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService
  }
}

export const accountsPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    app.decorate('accounts', new AccountsService({ pg: app.postgres, mailer: app.mailer, documents: app.documents, publicUrl: config.publicUrl }))
    app.addSchema(UserBody)
    await app.register(accountRoutes(config))
    await app.register(accountPageRoutes(config))
  },
  { name: 'accounts', dependencies: ['databases', 'email', 'auth', 'documents'] },
)
