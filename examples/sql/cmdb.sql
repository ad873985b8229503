-- A CMDB table for the SQL desired source; the same SQL works in PostgreSQL and SQLite.
--   PostgreSQL: psql -f examples/sql/cmdb.sql, then GRANT SELECT ON cmdb_hosts TO recon_reader;
--   SQLite:     python3 -c "import sqlite3; sqlite3.connect('examples/sql/cmdb.db').executescript(open('examples/sql/cmdb.sql').read())"
CREATE TABLE cmdb_hosts (
  record_type text NOT NULL,
  hostname    text NOT NULL,
  ttl         integer NOT NULL,
  address     text NOT NULL,
  retired     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (record_type, hostname)
);
INSERT INTO cmdb_hosts (record_type, hostname, ttl, address, retired) VALUES
  ('A', 'www',    300, '10.0.0.10', false),
  ('A', 'api',    300, '10.0.0.20', false),
  ('A', 'mail',   300, '10.0.0.25', false),
  ('A', 'legacy', 300, '10.0.0.99', true);
