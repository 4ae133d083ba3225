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
--       meet the cohort rules (not begun on V3/V4, not after a recent assessment; an open
--       period cannot have ended before its due date), whose due date is before qe (in the
--       quarter or any earlier one) and on or after the health assessments' coverage start
--       (staging.table_coverage; a legacy period due before the records begin cannot show
--       whether its IHA was done), with no matching IHA completed by qe and no completed RHA
--       in [period_start, qe] (a child reviewed since has had the assessment the IHA stood
--       for). A child on a V3/V4 episode at qe is left out, as from every snapshot cohort.
--       Scotland: only what is known at qe counts, so the due date is the request's
--       requested_date + 28 days when that request is dated on or before qe, else
--       period_start + 28 days (a request dated after qe is no request).
-- Reference date (placement and age breakdowns): the due date; qe for IHA04.
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   IHA01:
--     name: IHA requested within 5 working days
--     family: IHA
--     unit: "%"
--     polarity: high
--     reference_date: due date
--     needs: {table: health_assessments, from: qs}
--     charts: [equity]
--     definition: >-
--       Of the children who came into care and whose initial health assessment fell due in the
--       quarter, the share whose assessment was requested from health within 5 working days of
--       coming into care.
--   IHA02:
--     name: IHA completed within 20 working days
--     family: IHA
--     unit: "%"
--     polarity: high
--     reference_date: due date
--     needs: {table: health_assessments, from: qs}
--     charts: [equity, spc]
--     definition: >-
--       Of the children whose initial health assessment fell due in the quarter, the share who
--       had it by the due date (20 working days after coming into care; 4 weeks after the
--       request in Scotland).
--   IHA03:
--     name: Median working days to IHA
--     family: IHA
--     unit: days
--     polarity: low
--     reference_date: due date
--     needs: {table: health_assessments, from: qs}
--     definition: >-
--       For the children whose initial health assessment fell due in the quarter and who have
--       had it, the middle number of working days from coming into care to the assessment.
--   IHA04:
--     name: IHAs overdue at quarter end
--     family: IHA
--     unit: count
--     polarity: low
--     reference_date: quarter end
--     needs: {table: health_assessments, from: qe}
--     definition: >-
--       The number of children in care on the last day of the quarter whose initial health
--       assessment was due before then and has still not taken place.
CREATE OR REPLACE VIEW staging.kpi_facts_iha AS
WITH cohort AS (
    SELECT i.*, q.quarter_id, c.placement, c.age_band
    FROM staging.iha_periods AS i
    JOIN staging.quarters AS q ON i.due_date BETWEEN q.qs AND q.qe
    JOIN staging.child_on_date AS c
      ON c.child_key = i.child_key AND c.ref_date = i.due_date
    WHERE i.in_cohort
),
open_at_qe AS (
    SELECT
        i.area_code, i.child_key, i.period_start, i.iha_completed_date, q.quarter_id, q.qe,
        CASE
            WHEN i.nation = 'SCT' THEN coalesce(
                CASE WHEN i.requested_date <= q.qe THEN i.requested_date END, i.period_start
            ) + 28
            ELSE i.due_date
        END AS due_at_qe,
        hc.coverage_start
    FROM staging.iha_periods AS i
    JOIN staging.quarters AS q
      ON i.period_start <= q.qe
     AND (i.period_end IS NULL OR i.period_end > q.qe)
    JOIN staging.extracts AS x ON x.area_code = i.area_code
    LEFT JOIN staging.table_coverage AS hc
      ON hc.area_code = x.area_code AND hc.as_at = x.as_at
     AND hc.table_name = 'health_assessments'
    WHERE NOT coalesce(i.first_legal_status IN ('V3', 'V4'), false)
      AND NOT i.after_recent_assessment
),
overdue AS (
    SELECT o.area_code, o.quarter_id, o.child_key, o.qe, c.placement, c.age_band
    FROM open_at_qe AS o
    JOIN staging.child_on_date AS c
      ON c.child_key = o.child_key AND c.ref_date = o.qe
    WHERE o.due_at_qe < o.qe
      -- A supplied table with no rows has no coverage start: nothing was done, all count.
      AND o.due_at_qe >= coalesce(o.coverage_start, o.due_at_qe)
      AND (o.iha_completed_date IS NULL OR o.iha_completed_date > o.qe)
      AND NOT c.short_break
      AND NOT EXISTS (
          SELECT 1 FROM staging.health_assessments AS h
          WHERE h.child_key = o.child_key
            AND h.assessment_type = 'RHA'
            AND h.status = 'completed'
            AND h.completed_date BETWEEN o.period_start AND o.qe
      )
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
