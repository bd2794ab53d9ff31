-- Paths repeat: a site has hundreds or thousands of them across millions of rows. As dictionary
-- codes they are read, compared and grouped as small integers, which the pages card and a page
-- filter do over every row of the range. A site with more distinct paths than one dictionary holds
-- falls back to plain strings per part, as String behaved before.
ALTER TABLE events MODIFY COLUMN pathname LowCardinality(String);
ALTER TABLE sessions MODIFY COLUMN entry_page LowCardinality(String);
ALTER TABLE sessions MODIFY COLUMN exit_page LowCardinality(String);
