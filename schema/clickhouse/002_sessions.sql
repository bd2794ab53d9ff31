-- One logical row per visit. Each event that changes a visit cancels its previous row (sign -1)
-- and writes the new state (sign +1, version + 1); sum(sign)-weighted aggregates read the latest
-- state without FINAL. The cancel and state rows share the sorting key and the shard.
CREATE TABLE IF NOT EXISTS sessions (
    -- shard key: session_id
    sign Int8,
    version UInt32,
    site_id UInt32,
    session_id UInt64,
    visitor_id UInt64,
    start DateTime('UTC'),
    timestamp DateTime('UTC'),
    hostname LowCardinality(String),
    entry_page String,
    exit_page String,
    pageviews UInt32,
    events UInt32,
    duration UInt32,
    is_bounce UInt8,
    tier Enum8('anonymous' = 0, 'consented' = 1),
    referrer_source LowCardinality(String),
    referrer_domain String,
    referrer String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code LowCardinality(String),
    region LowCardinality(String),
    city String,
    asn UInt32,
    isp LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    device LowCardinality(String),
    screen_width UInt16,
    screen_height UInt16,
    pixel_ratio Float32,
    timezone LowCardinality(String),
    language LowCardinality(String),
    retention_days UInt16
)
ENGINE = VersionedCollapsingMergeTree(sign, version)
PARTITION BY toYYYYMM(start)
ORDER BY (site_id, toDate(start), visitor_id, session_id)
TTL start + toIntervalDay(retention_days)
SETTINGS non_replicated_deduplication_window = 10000;
