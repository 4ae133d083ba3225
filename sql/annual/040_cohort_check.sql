-- How far each area's OC2 rows agree with the cohort recomputed from its episodes
-- (staging.annual_episode_cohort): the measures use the OC2 rows, and this table says how
-- many children the two disagree on, so that a mismatch is seen rather than silently
-- absorbed. Also counts OC2 children listed more than once and children without a date of
-- birth (left out of the age-band measures).
CREATE OR REPLACE TABLE marts.annual_cohort_check AS
WITH oc2 AS (
    SELECT area_code, as_at, child_id, copies, date_of_birth FROM staging.annual_oc2
),
matched AS (
    SELECT
        coalesce(o.area_code, e.area_code) AS area_code,
        coalesce(o.as_at, e.as_at) AS as_at,
        o.child_id IS NOT NULL AS in_oc2,
        e.child_id IS NOT NULL AS in_episodes,
        coalesce(o.copies, 0) AS copies,
        o.child_id IS NOT NULL AND o.date_of_birth IS NULL AS no_date_of_birth
    FROM oc2 AS o
    FULL OUTER JOIN staging.annual_episode_cohort AS e
        ON e.area_code = o.area_code AND e.as_at = o.as_at AND e.child_id = o.child_id
)
SELECT
    m.area_code,
    m.as_at,
    year(p.year_end) AS year,
    CAST(sum(m.copies) AS BIGINT) AS oc2_rows,
    count(*) FILTER (WHERE m.in_oc2) AS oc2_children,
    CAST(sum(m.copies) - count(*) FILTER (WHERE m.in_oc2) AS BIGINT) AS duplicate_oc2_rows,
    count(*) FILTER (WHERE m.no_date_of_birth) AS without_date_of_birth,
    count(*) FILTER (WHERE m.in_episodes) AS episode_cohort,
    count(*) FILTER (WHERE m.in_oc2 AND m.in_episodes) AS in_both,
    count(*) FILTER (WHERE m.in_oc2 AND NOT m.in_episodes) AS oc2_not_in_episode_cohort,
    count(*) FILTER (WHERE m.in_episodes AND NOT m.in_oc2) AS episode_cohort_not_in_oc2
FROM matched AS m CROSS JOIN annual_params AS p
GROUP BY m.area_code, m.as_at, p.year_end;
