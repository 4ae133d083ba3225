-- Every (child, date) on which a KPI needs to know whether the child was looked after,
-- where they were placed and how old they were: each quarter end (for children with an
-- episode or an open period of care then), each IHA and RHA due date, and each CAMHS
-- referral date. The snapshot models below are built for exactly these dates, so that they
-- are joins on (child_key, ref_date) rather than per-row lookups.
CREATE OR REPLACE TABLE staging.reference_dates AS
SELECT e.child_key, q.qe AS ref_date
FROM staging.episodes AS e
JOIN staging.quarters AS q
  ON e.episode_start <= q.qe AND (e.episode_end IS NULL OR e.episode_end > q.qe)
UNION
SELECT p.child_key, q.qe
FROM staging.periods_of_care AS p
JOIN staging.quarters AS q
  ON p.period_start <= q.qe AND (p.period_end IS NULL OR p.period_end > q.qe)
UNION
SELECT child_key, due_date FROM staging.iha_periods WHERE due_date IS NOT NULL
UNION
SELECT child_key, due_date FROM staging.rha_dues
UNION
SELECT child_key, referral_date FROM staging.camhs_waits;
