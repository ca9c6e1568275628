-- The fight-churn book's PostgreSQL schema (account, subscription, event, event_type) seen as
-- AccountHealth's tables (DESIGN §2, §9, §10), through views in a schema of their own. Nothing is copied:
-- `healthscore … --db URL --schema health` reads the views, and the database does the work.
-- Run with: psql -v ON_ERROR_STOP=1 -f docs/fightchurn_views.sql   (the test suite runs it too)
CREATE SCHEMA IF NOT EXISTS health;

-- The activity log: one row per event, named by its type (derive turns it into factors with the
-- metrics: section of the configuration).
CREATE OR REPLACE VIEW health.events AS
SELECT CAST(e.account_id AS text) AS account_id,
       e.event_time               AS "time",
       t.event_type_name          AS type,
       CAST(NULL AS double precision) AS value
  FROM event e
  JOIN event_type t ON t.event_type_id = e.event_type_id;

-- The base plan's billing periods (add-ons are other subscription lines of the same dates).
CREATE OR REPLACE VIEW health.base_periods AS
SELECT s.account_id, s.product, s.start_date, s.end_date, s.mrr
  FROM subscription s
 WHERE s.units = 'users';

-- One decision per ended period: renewed when another base period starts on its end date (for a
-- simulation that stopped earlier, put its end date in place of CURRENT_DATE).
CREATE OR REPLACE VIEW health.outcomes AS
SELECT CAST(p.account_id AS text) AS account_id,
       p.end_date                 AS "date",
       CASE WHEN EXISTS (SELECT 1 FROM health.base_periods n
                          WHERE n.account_id = p.account_id AND n.start_date = p.end_date)
            THEN 'renewed' ELSE 'churned' END AS outcome,
       12 * p.mrr                 AS arr
  FROM health.base_periods p
 WHERE p.end_date <= CURRENT_DATE;

-- The accounts: the acquisition channel stands for the account manager, the latest base plan for the
-- segment; ARR and the renewal date are the latest period's.
CREATE OR REPLACE VIEW health.accounts AS
SELECT CAST(a.id AS text)        AS account_id,
       a.channel                 AS am,
       COALESCE(l.product, 'none') AS segment,
       COALESCE(12 * l.mrr, 0)   AS arr,
       l.end_date                AS renewal_date,
       a.country
  FROM account a
  LEFT JOIN health.base_periods l
    ON l.account_id = a.id
   AND l.start_date = (SELECT MAX(x.start_date) FROM health.base_periods x WHERE x.account_id = a.id);
