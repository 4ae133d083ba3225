-- Looked after on a date (KPIS.md): the child has an episode with episode_start <= d and
-- (episode_end blank or episode_end > d). One row per reference date on which the child
-- was looked after, with that episode's legal status and placement and the period of care
-- it belongs to.
--
-- short_break: the episode on d has legal status V3/V4. Such children are excluded from
-- every snapshot cohort (children looked after at qe, on an RHA due date, on a CAMHS
-- referral date); the KPI models filter on NOT short_break.
-- Episodes of one child must not overlap (EXTRACTS.md); if they do, the one that started
-- last is taken, so a child is never counted twice on one date.
CREATE OR REPLACE TABLE staging.looked_after_on_date AS
SELECT
    r.child_key,
    r.ref_date,
    e.period_seq,
    p.period_start,
    e.legal_status,
    e.placement_area_code,
    e.placement_distance_miles,
    e.placement_type,
    coalesce(e.legal_status IN ('V3', 'V4'), false) AS short_break
FROM staging.reference_dates AS r
JOIN staging.episode_periods AS e
  ON e.child_key = r.child_key
 AND e.episode_start <= r.ref_date
 AND (e.episode_end IS NULL OR e.episode_end > r.ref_date)
JOIN staging.periods_of_care AS p
  ON p.child_key = e.child_key AND p.period_seq = e.period_seq
QUALIFY row_number() OVER (
    PARTITION BY r.child_key, r.ref_date
    ORDER BY e.episode_start DESC, e.episode_seq DESC
) = 1;
