-- IHA01–IHA04 (KPIS.md "Initial health assessments"), as one fact row per cohort member:
-- (area_code, quarter, kpi_id, child_key, ref_date, placement, age_band, hit, measure), the
-- shape every KPI model defines (as a view) for 900_kpi_results.sql to count by breakdown.
-- hit: the member counts in the numerator (rates) or is counted (counts); measure: the
-- value whose median is the KPI (medians).
--
-- IHA01 cohort periods (due date in the quarter): hit = requested within 5 working days
--       (requested_date <= add_wd(period_start, 5); no request = not on time).
-- IHA02 the same cohort: hit = matching IHA completed on or before the due date.
-- IHA03 the same cohort, periods with a matching IHA: measure = wd_between(period_start,
--       completed_date); the KPI is the median (DuckDB's median averages the two middle
--       values of an even count).
-- IHA04 count of periods open at qe (period_start <= qe, period_end blank or > qe) that
--       meet the cohort rules, whose due date is before qe (in the quarter or any earlier
--       one) and with no matching IHA completed by qe. A child on a V3/V4 episode at qe is
--       left out, as from every snapshot cohort.
-- Reference date (placement and age breakdowns): the due date; qe for IHA04.
CREATE OR REPLACE VIEW staging.kpi_facts_iha AS
WITH cohort AS (
    SELECT i.*, q.quarter_id, c.placement, c.age_band
    FROM staging.iha_periods AS i
    JOIN staging.quarters AS q ON i.due_date BETWEEN q.qs AND q.qe
    JOIN staging.child_on_date AS c
      ON c.child_key = i.child_key AND c.ref_date = i.due_date
    WHERE i.in_cohort
),
overdue AS (
    SELECT i.area_code, q.quarter_id, i.child_key, q.qe, c.placement, c.age_band
    FROM staging.iha_periods AS i
    JOIN staging.quarters AS q
      ON i.due_date < q.qe
     AND i.period_start <= q.qe
     AND (i.period_end IS NULL OR i.period_end > q.qe)
     AND (i.iha_completed_date IS NULL OR i.iha_completed_date > q.qe)
    JOIN staging.child_on_date AS c
      ON c.child_key = i.child_key AND c.ref_date = q.qe
    WHERE i.in_cohort AND NOT c.short_break
)
SELECT area_code, quarter_id AS quarter, 'IHA01' AS kpi_id, child_key, due_date AS ref_date,
       placement, age_band, requested_on_time AS hit, CAST(NULL AS DOUBLE) AS measure
FROM cohort
UNION ALL
SELECT area_code, quarter_id, 'IHA02', child_key, due_date, placement, age_band,
       completed_on_time, NULL
FROM cohort
UNION ALL
SELECT area_code, quarter_id, 'IHA03', child_key, due_date, placement, age_band,
       NULL, working_days_to_iha
FROM cohort
WHERE working_days_to_iha IS NOT NULL
UNION ALL
SELECT area_code, quarter_id, 'IHA04', child_key, qe, placement, age_band, true, NULL
FROM overdue;
