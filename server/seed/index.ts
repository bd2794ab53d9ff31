// The seed context: synthetic traffic for demos and benchmarks, from the CLI or the admin route.
import fp from 'fastify-plugin'
import { seedRoutes } from './routes.ts'

export { checkSeedRequest, DEFAULT_SEED, MAX_DAYS, MAX_EVENTS, seedTraffic, SeedRequestError } from './seed.ts'
export type { SeedProgress, SeedRequest, SeedSummary } from './seed.ts'
export type { SeedSite } from './generator.ts'
export type { SeedStreamLine } from './routes.ts'
export { progressLine, progressReporter, summaryLine } from './progress.ts'

export const seedPlugin = fp(
  async (app) => {
    await app.register(seedRoutes)
  },
  { name: 'seed', dependencies: ['databases', 'auth', 'sites'] },
)
