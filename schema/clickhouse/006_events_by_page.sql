-- Events sorted by page as well: a filter on a page (the top numbers and graph of "/pricing") then
-- reads that page's rows only, instead of every row of the range, a tenth of them or less. The
-- engine picks the projection by itself when a query reads no other column and it needs fewer
-- marks. It keeps the columns such a query reads, and follows inserts, TTL and mutations of the
-- table; a lightweight delete (none is used) rebuilds it rather than fail.
ALTER TABLE events ADD PROJECTION IF NOT EXISTS by_page (SELECT site_id, timestamp, pathname, name, visitor_id ORDER BY (site_id, pathname, toDate(timestamp)));
ALTER TABLE events MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild';
-- Builds it for the rows already stored, before the server starts (a mutation over every part, about
-- 3 s per 10 million events here); new parts get it as they are written.
ALTER TABLE events MATERIALIZE PROJECTION by_page SETTINGS mutations_sync = 2;
