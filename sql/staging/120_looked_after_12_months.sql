-- Children looked after for at least 12 months at a quarter end: the DfE OC2 cohort, used
-- by HA01 and SDQ01/SDQ02 (KPIS.md "Health assessment up to date"), with the placement and
-- age on qe for their breakdowns.
--
-- For each quarter: children looked after at qe (not on V3/V4 then) whose current period
-- of care began on or before qe − 12 months, with no V3/V4 episode in
-- (qe − 12 months, qe]. An episode covers the days episode_start .. episode_end − 1 (the
-- looked-after-on-date rule), so a V3/V4 episode counts when one of those days is in the
-- window: episode_start <= qe and (episode_end blank or episode_end − 1 > qe − 12 months).
-- A period already running when the extract begins uses its first episode's start, which
-- is on or after its true start: such a child is in the cohort whenever the data shows it.
CREATE OR REPLACE TABLE staging.looked_after_12_months AS
WITH at_quarter_end AS (
    SELECT
        c.child_key,
        c.area_code,
        c.child_id,
        q.quarter_id,
        q.qe,
        staging.add_months(q.qe, -12) AS window_start,
        c.period_start,
        c.placement,
        c.age,
        c.age_band
    FROM staging.child_on_date AS c
    JOIN staging.quarters AS q ON q.qe = c.ref_date
    WHERE c.looked_after AND NOT c.short_break
)
SELECT a.*
FROM at_quarter_end AS a
ANTI JOIN staging.episodes AS e
  ON e.child_key = a.child_key
 AND e.legal_status IN ('V3', 'V4')
 AND e.episode_start <= a.qe
 AND (e.episode_end IS NULL OR e.episode_end - 1 > a.window_start)
WHERE a.period_start <= a.window_start;
