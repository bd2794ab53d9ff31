// The privacy tier (DESIGN.md): the consented set only with the page's analytics consent and no
// Global Privacy Control; otherwise the anonymous set, and consented-only events are dropped.
import type { Step } from '../pipeline.ts'

/** Events that only the consented tier records. */
const CONSENTED_ONLY = new Set(['Click', 'Form: Submission'])

export const decideTier: Step = {
  name: 'decideTier',
  run(draft) {
    draft.consented = draft.event.consent && !draft.request.gpc
    if (!draft.consented && CONSENTED_ONLY.has(draft.event.name)) return 'not_consented'
    return undefined
  },
}
