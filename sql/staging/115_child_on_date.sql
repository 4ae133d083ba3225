-- A child on a reference date, in one row: what every KPI model needs to pick its cohort
-- and to break it down. It is the looked-after snapshot, the age model and the placement
-- model (the same macros as staging.age_on_date and staging.placement_on_date) computed in
-- one pass, so that each KPI needs one join for all three.
--
-- looked_after   an episode covers the date (staging.looked_after_on_date)
-- short_break    that episode has legal status V3/V4 (excluded from every snapshot cohort)
-- period_start   start of the period of care the episode belongs to
-- placement      IN / OUT / UNKNOWN on the date
-- age, age_band  completed years on the date
-- sex_group, uasc_group, ethnic_group, setting  the equality groups (112_equality_groups.sql)
CREATE OR REPLACE TABLE staging.child_on_date AS
SELECT
    r.child_key,
    c.area_code,
    c.child_id,
    r.ref_date,
    l.child_key IS NOT NULL AS looked_after,
    coalesce(l.short_break, false) AS short_break,
    l.period_seq,
    l.period_start,
    l.legal_status,
    l.placement_area_code,
    l.placement_distance_miles,
    staging.placement_location(l.placement_area_code, c.area_code) AS placement,
    staging.completed_years(c.date_of_birth, r.ref_date) AS age,
    staging.age_band(staging.completed_years(c.date_of_birth, r.ref_date)) AS age_band,
    staging.sex_group(c.sex) AS sex_group,
    staging.uasc_group(c.uasc) AS uasc_group,
    staging.ethnic_group(c.ethnicity) AS ethnic_group,
    staging.placement_setting(l.placement_type) AS setting
FROM staging.reference_dates AS r
JOIN staging.children AS c ON c.child_key = r.child_key
LEFT JOIN staging.looked_after_on_date AS l
  ON l.child_key = r.child_key AND l.ref_date = r.ref_date;
