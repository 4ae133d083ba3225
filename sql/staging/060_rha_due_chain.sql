-- The review health assessment (RHA) due chain (KPIS.md "Review health assessments").
--
-- Every completed IHA or RHA, at date a (staging.completed_assessments), starts one due
-- date: a + 6 months if the child is under 5 on a, else a + 12 months (calendar months
-- clamped to month end). The next completed assessment of the same child (any type, in
-- the same area's extract) is the one that meets it: on time when it is dated in (a, due].
-- The chain runs across periods of care: RHA01 counts a due date only when the child is
-- looked after on it, so a child who left care drops out and one who came back within the
-- year keeps the clock of the last assessment.
CREATE OR REPLACE TABLE staging.rha_dues AS
WITH chained AS (
    SELECT
        a.child_key,
        a.area_code,
        a.child_id,
        a.completed_date AS assessed_on,
        staging.completed_years(c.date_of_birth, a.completed_date) AS age_at_assessment,
        lead(a.completed_date) OVER (
            PARTITION BY a.child_key ORDER BY a.completed_date
        ) AS next_completed_date
    FROM staging.completed_assessments AS a
    JOIN staging.children AS c ON c.child_key = a.child_key
)
SELECT
    child_key,
    area_code,
    child_id,
    assessed_on,
    age_at_assessment,
    staging.add_months(assessed_on, CASE WHEN age_at_assessment < 5 THEN 6 ELSE 12 END)
        AS due_date,
    next_completed_date,
    coalesce(next_completed_date <= due_date, false) AS on_time
FROM chained;
