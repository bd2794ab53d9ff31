-- One row per pageview or action. Visit attributes are copied from the event's session so that
-- breakdowns by source, location or device need no join. Never holds an IP address in any form.
CREATE TABLE IF NOT EXISTS events (
    -- shard key: visitor_id
    site_id UInt32,
    timestamp DateTime('UTC'),
    name LowCardinality(String),
    hostname LowCardinality(String),
    pathname String,
    props Map(String, String),
    revenue_amount Nullable(Decimal64(4)),
    revenue_currency LowCardinality(String),
    fonts Array(LowCardinality(String)),
    returning Enum8('unknown' = 0, 'new' = 1, 'returning' = 2),
    days_since_first_visit UInt16,
    visitor_id UInt64,
    session_id UInt64,
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
    -- The site's retention when the row was written; TTL can only read the row itself.
    retention_days UInt16
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, toDate(timestamp), visitor_id, timestamp)
TTL timestamp + toIntervalDay(retention_days)
-- Plain MergeTree ignores insert_deduplication_token unless it keeps a window of recent blocks.
SETTINGS non_replicated_deduplication_window = 10000;
