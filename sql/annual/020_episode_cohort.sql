-- The OC2 cohort recomputed from episodes, to check the OC2 rows against (not to replace them):
-- children looked after on 31 March (year_end) whose current period of care began on or
-- before year_start (31 March of the year before), with no V3/V4 short-break episode in
-- (year_start, year_end] — the definition of HA01 in KPIS.md, taken at 31 March.
--
-- A period of care starts at the latest episode with RNE 'S' on or before the episode open
-- on 31 March; a child with no 'S' episode in the extract (its history starts mid-period)
-- is taken to have been looked after since its earliest episode.
CREATE OR REPLACE TABLE staging.annual_episode_cohort AS
WITH ep AS (
    SELECT e.*
    FROM clean.episodes AS e
    JOIN annual_extracts AS x ON x.area_code = e.area_code AND x.as_at = e.as_at
),
open_on_year_end AS (
    SELECT DISTINCT ep.area_code, ep.as_at, ep.child_id, ep.episode_start
    FROM ep CROSS JOIN annual_params AS p
    WHERE ep.episode_start <= p.year_end AND (ep.episode_end IS NULL OR ep.episode_end > p.year_end)
),
period AS (
    SELECT
        o.area_code, o.as_at, o.child_id,
        coalesce(
            (SELECT max(s.episode_start) FROM ep AS s
             WHERE s.area_code = o.area_code AND s.as_at = o.as_at AND s.child_id = o.child_id
               AND s.reason_new_episode = 'S' AND s.episode_start <= o.episode_start),
            (SELECT min(s.episode_start) FROM ep AS s
             WHERE s.area_code = o.area_code AND s.as_at = o.as_at AND s.child_id = o.child_id)
        ) AS period_start
    FROM open_on_year_end AS o
),
short_breaks AS (
    SELECT DISTINCT ep.area_code, ep.as_at, ep.child_id
    FROM ep CROSS JOIN annual_params AS p
    WHERE ep.legal_status IN ('V3', 'V4')
      AND ep.episode_start <= p.year_end
      AND (ep.episode_end IS NULL OR ep.episode_end > p.year_start)
)
SELECT DISTINCT period.area_code, period.as_at, period.child_id
FROM period CROSS JOIN annual_params AS p
WHERE period.period_start <= p.year_start
  AND NOT EXISTS (
      SELECT 1 FROM short_breaks AS s
      WHERE s.area_code = period.area_code AND s.as_at = period.as_at AND s.child_id = period.child_id
  );
