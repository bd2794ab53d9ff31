-- The distinct paths a visit's events had, kept on its sessions rows, so that a filter on a page
-- reads "visits that saw it" from sessions alone (hasAny) instead of a set of every matching
-- session id built from events. Rows written before this column read []: the stats layer keeps
-- the set for ranges that reach back to them (server/stats/sql.ts, pagesSince).
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS pages Array(LowCardinality(String)) AFTER exit_page;
