// The CSV export of a public dashboard: the dashboard export's cards that group and filter by
// public dimensions only, each through the same limits as the public dashboard's queries.
import { EXPORT_CARDS, type Card } from '../stats/export.ts'

/** The cards whose dimension and own filters a public dashboard allows (no cities, ISPs, screens, fonts...). */
export const publicCards = (allowed: ReadonlySet<string>): readonly Card[] =>
  EXPORT_CARDS.filter((card) => allowed.has(card.dimension) && (card.filters ?? []).every((filter) => allowed.has(String(filter[1]))))
