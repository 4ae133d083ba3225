-- Why IHAs were late (KPIS.md: "Delay reasons of late or missing IHAs are reported as a
-- breakdown table, not a KPI").
--
-- For each area and quarter: the IHA02 cohort periods (due date in the quarter) not
-- completed on time (late or missing), counted by delay_reason: that of the matching IHA,
-- else that of the IHA request row, else 'not_recorded'. Every EXTRACTS.md reason (and any
-- other reason found) gets a row, 0 when none, so the table has a stable shape.
CREATE OR REPLACE TABLE marts.iha_delay_reasons AS
WITH late AS (
    SELECT i.area_code, q.quarter_id AS quarter, i.delay_reason
    FROM staging.iha_periods AS i
    JOIN staging.quarters AS q ON i.due_date BETWEEN q.qs AND q.qe
    WHERE i.in_cohort AND NOT i.completed_on_time
),
reasons AS (
    SELECT delay_reason
    FROM (VALUES
        ('late_request'), ('consent'), ('child_declined'), ('carer_not_attended'),
        ('health_capacity'), ('placement_move'), ('out_of_area'), ('other'), ('not_recorded')
    ) AS known(delay_reason)
    UNION
    SELECT delay_reason FROM late
),
grid AS (
    SELECT x.area_code, q.quarter_id AS quarter, r.delay_reason
    FROM staging.extracts AS x
    CROSS JOIN staging.quarters AS q
    CROSS JOIN reasons AS r
)
SELECT g.area_code, g.quarter, g.delay_reason, CAST(count(l.delay_reason) AS BIGINT) AS periods
FROM grid AS g
LEFT JOIN late AS l
  ON l.area_code = g.area_code AND l.quarter = g.quarter AND l.delay_reason = g.delay_reason
GROUP BY g.area_code, g.quarter, g.delay_reason
ORDER BY g.area_code, g.quarter, g.delay_reason;
