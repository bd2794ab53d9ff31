-- One row per consent decision, append-only: the proof a site keeps (GDPR Art. 7(1)). Holds no
-- personal data beyond the random consent id; never an IP address in any form.
CREATE TABLE IF NOT EXISTS consent_records (
    -- shard key: cityHash64(consent_id)
    site_id UInt32,
    consent_id UUID,
    event_id UUID,
    -- the server's clock, and the browser's as it reported it
    time DateTime64(3, 'UTC'),
    client_time DateTime64(3, 'UTC'),
    method Enum8('accept_all' = 1, 'reject_all' = 2, 'custom' = 3, 'withdraw' = 4, 'gpc' = 5, 'expired_reprompt' = 6),
    granted Array(LowCardinality(String)),
    denied Array(LowCardinality(String)),
    consent_mode Array(LowCardinality(String)),
    policy_version UInt32,
    config_version UInt32,
    banner_version LowCardinality(String),
    -- SHA-256 of the texts shown, computed by the server from the configuration version
    texts_sha256 FixedString(64),
    language LowCardinality(String),
    path String,
    gpc Bool,
    country_code LowCardinality(String),
    browser LowCardinality(String),
    previous_consent_id Nullable(UUID),
    -- SHA-256 of the secret receipt that later decisions and readers must present
    receipt_sha256 FixedString(64),
    -- the site's retention of consent records when the row was written; TTL reads only the row
    retention_days UInt16,
    INDEX consent_id_bloom consent_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
-- A consent's records sit together: later decisions and history reads find them by site and id.
ORDER BY (site_id, consent_id, time)
TTL toDateTime(time) + toIntervalDay(retention_days)
-- A record is acknowledged as proof: its part is on disk (fsync) before the answer.
SETTINGS non_replicated_deduplication_window = 10000, fsync_after_insert = 1, fsync_part_directory = 1;
