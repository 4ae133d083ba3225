-- IHA02 and RHA01 by calendar month of the due date, for SPC p-charts.
--
-- Same cohorts and outcomes as the quarterly KPIs (IHA02: IHA cohort periods, on time when
-- the matching IHA was completed by the due date; RHA01: RHA due dates of children looked
-- after, not on V3/V4, on the due date), grouped by the first day of the due date's month.
-- Months run from the first month with a due date in the area's extract to the last month
-- that ends on or before the extract's as_at date (a later month's outcomes are not all
-- known yet); a month in between with no due dates has numerator and denominator 0.
CREATE OR REPLACE TABLE marts.monthly_timeliness AS
WITH outcomes AS (
    SELECT area_code, 'IHA02' AS kpi_id,
           CAST(date_trunc('month', due_date) AS DATE) AS month, completed_on_time AS on_time
    FROM staging.iha_periods
    WHERE in_cohort
    UNION ALL
    SELECT d.area_code, 'RHA01', CAST(date_trunc('month', d.due_date) AS DATE), d.on_time
    FROM staging.rha_dues AS d
    JOIN staging.child_on_date AS c
      ON c.child_key = d.child_key AND c.ref_date = d.due_date
    WHERE c.looked_after AND NOT c.short_break
),
bounds AS (
    SELECT o.area_code, o.kpi_id, min(o.month) AS first_month,
           staging.add_months(CAST(date_trunc('month', x.as_at + 1) AS DATE), -1) AS last_month
    FROM outcomes AS o
    JOIN staging.extracts AS x ON x.area_code = o.area_code
    GROUP BY o.area_code, o.kpi_id, x.as_at
),
months AS (
    SELECT area_code, kpi_id,
           CAST(unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH)) AS DATE)
               AS month
    FROM bounds
    WHERE first_month <= last_month
)
SELECT m.area_code, m.month, m.kpi_id,
       CAST(coalesce(count_if(o.on_time), 0) AS BIGINT) AS numerator,
       CAST(count(o.on_time) AS BIGINT) AS denominator
FROM months AS m
LEFT JOIN outcomes AS o
  ON o.area_code = m.area_code AND o.kpi_id = m.kpi_id AND o.month = m.month
GROUP BY m.area_code, m.month, m.kpi_id
ORDER BY m.area_code, m.kpi_id, m.month;
