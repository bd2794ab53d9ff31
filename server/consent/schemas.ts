// Route schemas of the consent context: the banner's protocol (tracker/consent/protocol.ts) and the
// staff's configuration, as TypeBox. They validate requests, shape responses and feed OpenAPI.
import { Type } from 'typebox'
import { CONSENT_METHODS, CONSENT_MODE_TYPES } from '../../tracker/consent/protocol.ts'

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const ConsentId = Type.String({ pattern: UUID_PATTERN, description: 'A consent id (UUID)' })
const Receipt = Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })
const Method = Type.Union(CONSENT_METHODS.map((method) => Type.Literal(method)))
const ConsentModeType = Type.Union(CONSENT_MODE_TYPES.map((type) => Type.Literal(type)))
const CategoryId = Type.String({ minLength: 1, maxLength: 32 })
const Language = Type.String({ minLength: 2, maxLength: 12, pattern: '^[a-z]{2,3}(-[a-z0-9]{2,8})?$' })

const Service = Type.Object({ id: Type.String(), name: Type.String(), cookies: Type.Array(Type.String()) })
const Category = Type.Object({
  id: Type.String(),
  necessary: Type.Boolean(),
  consentMode: Type.Array(ConsentModeType),
  services: Type.Array(Service),
})
const TextFields = {
  title: Type.String(),
  description: Type.String(),
  acceptAll: Type.String(),
  rejectAll: Type.String(),
  preferences: Type.String(),
  save: Type.String(),
  close: Type.String(),
  policy: Type.String(),
  alwaysOn: Type.String(),
  services: Type.String(),
  cookies: Type.String(),
  gpcHonoured: Type.String(),
  download: Type.String(),
}
const Direction = Type.Union([Type.Literal('ltr'), Type.Literal('rtl')])
const CategoryTexts = Type.Object({ title: Type.String(), description: Type.String() })
const Texts = Type.Object({ dir: Direction, ...TextFields, categories: Type.Record(Type.String(), CategoryTexts) })

export const BannerConfigBody = Type.Object(
  {
    domain: Type.String(),
    configVersion: Type.Integer(),
    policyVersion: Type.Integer(),
    policyUrl: Type.Union([Type.String(), Type.Null()]),
    expiryDays: Type.Integer(),
    categories: Type.Array(Category),
    texts: Type.Record(Type.String(), Texts),
  },
  { $id: 'ConsentBannerConfig' },
)

export const DecisionRequestBody = Type.Object(
  {
    domain: Type.String({ minLength: 1, maxLength: 253 }),
    method: Method,
    granted: Type.Array(CategoryId, { maxItems: 32 }),
    configVersion: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    language: Language,
    path: Type.String({ minLength: 1, maxLength: 2048, pattern: '^/' }),
    gpc: Type.Boolean(),
    clientTime: Type.Number(),
    bannerVersion: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._+-]+$' }),
    consentId: Type.Optional(ConsentId),
    receipt: Type.Optional(Receipt),
    previous: Type.Optional(Type.Object({ consentId: ConsentId, receipt: Receipt }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)

export const DecisionResponseBody = Type.Object({
  consentId: Type.String(),
  receipt: Type.String(),
  eventId: Type.String(),
  time: Type.String({ format: 'date-time' }),
  granted: Type.Array(Type.String()),
  denied: Type.Array(Type.String()),
  consentMode: Type.Array(Type.String()),
  policyVersion: Type.Integer(),
})

const Record_ = Type.Object({
  eventId: Type.String(),
  time: Type.String({ format: 'date-time' }),
  clientTime: Type.String({ format: 'date-time' }),
  method: Method,
  granted: Type.Array(Type.String()),
  denied: Type.Array(Type.String()),
  policyVersion: Type.Integer(),
  configVersion: Type.Integer(),
  bannerVersion: Type.String(),
  textsSha256: Type.String(),
  language: Type.String(),
  path: Type.String(),
  gpc: Type.Boolean(),
  country: Type.String(),
  browser: Type.String(),
  previousConsentId: Type.Union([Type.String(), Type.Null()]),
})

export const ConsentHistoryBody = Type.Object(
  { consentId: Type.String(), domain: Type.String(), records: Type.Array(Record_) },
  { $id: 'ConsentHistory' },
)

/** A stored version, as staff see it. */
export const ConsentVersionBody = Type.Object(
  {
    version: Type.Integer(),
    policyVersion: Type.Integer(),
    policyUrl: Type.Union([Type.String(), Type.Null()]),
    expiryDays: Type.Integer(),
    retentionDays: Type.Integer({ description: 'Days consent records are kept' }),
    categories: Type.Array(Category),
    overrides: Type.Record(Type.String(), Type.Unknown(), { description: "The site's own texts, by language" }),
    texts: Type.Record(Type.String(), Texts),
    textsSha256: Type.Record(Type.String(), Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ConsentVersion' },
)

const TextOverrides = Type.Object(
  {
    dir: Type.Optional(Direction),
    ...Object.fromEntries(Object.entries(TextFields).map(([key]) => [key, Type.Optional(Type.String({ minLength: 1, maxLength: 2000 }))])),
    categories: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 32 }),
        Type.Object(
          { title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), description: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
)

export const ConsentChangesBody = Type.Object(
  {
    categories: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: CategoryId,
            consentMode: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 7 })),
            services: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    id: Type.String({ minLength: 1, maxLength: 64 }),
                    name: Type.String({ minLength: 1, maxLength: 100 }),
                    cookies: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 129 }), { maxItems: 50 })),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 50 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 20 },
      ),
    ),
    texts: Type.Optional(Type.Record(Type.String({ maxLength: 12 }), Type.Union([TextOverrides, Type.Null()]), { maxProperties: 40 })),
    policyUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    expiryDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 395, description: 'How long a decision lasts before it is asked again' })),
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500, description: 'Days consent records are kept' })),
    newPolicyVersion: Type.Optional(Type.Boolean({ description: 'Publish a new policy version: every visitor is asked again' })),
  },
  { additionalProperties: false, minProperties: 1 },
)
