// The goals context: a site's goals (what counts as a conversion) and saved funnels.
import fp from 'fastify-plugin'
import { FunnelsService, GoalsService } from './service.ts'
import { goalRoutes } from './routes.ts'

export { GoalsService, FunnelsService, checkSteps, stepLabel } from './service.ts'
export type { Goal, Funnel, FunnelStep, StepKind } from './service.ts'
export { pathPattern } from './pattern.ts'

declare module 'fastify' {
  interface FastifyInstance {
    goals: GoalsService
    funnels: FunnelsService
  }
}

export const goalsPlugin = fp(
  async (app) => {
    app.decorate('goals', new GoalsService(app.postgres))
    app.decorate('funnels', new FunnelsService(app.postgres))
    await app.register(goalRoutes)
  },
  { name: 'goals', dependencies: ['databases', 'sites', 'auth'] },
)
