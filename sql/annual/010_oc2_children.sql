-- OC2 children of the year ending 31 March (DfE's "children looked after continuously for at
-- least 12 months at 31 March", short breaks excluded), one row per child, as the area
-- returned them to DfE in its SSDA903 OC2 table.
--
-- The OC2 rows are trusted as the cohort: they are what DfE counted, so the measures below
-- are comparable line for line with the published file. staging.annual_episode_cohort
-- recomputes the cohort from episodes only to check the OC2 rows (marts.annual_cohort_check).
--
-- Inputs registered by pipelines.annual: annual_params(year_end, year_start) and
-- annual_extracts(area_code, as_at), the extracts whose OC2 is for that year.
-- Age is completed years at 31 March, from the children table's date of birth (the OC2 DOB
-- when the child is not in the children table). A child listed twice keeps its first row
-- (lowest row_number); the duplicate is counted in the check.
CREATE OR REPLACE TABLE staging.annual_oc2 AS
WITH rows_of_year AS (
    SELECT
        o.*,
        count(*) OVER (PARTITION BY o.area_code, o.as_at, o.child_id) AS copies,
        row_number() OVER (PARTITION BY o.area_code, o.as_at, o.child_id ORDER BY o.row_number) AS copy
    FROM clean.oc2 AS o
    JOIN annual_extracts AS x ON x.area_code = o.area_code AND x.as_at = o.as_at
)
SELECT
    r.area_code,
    r.as_at,
    p.year_end,
    year(p.year_end) AS year,
    r.child_id,
    coalesce(c.date_of_birth, r.date_of_birth) AS date_of_birth,
    year(p.year_end) - year(coalesce(c.date_of_birth, r.date_of_birth))
        - CASE WHEN (month(coalesce(c.date_of_birth, r.date_of_birth)), day(coalesce(c.date_of_birth, r.date_of_birth)))
                    > (month(p.year_end), day(p.year_end)) THEN 1 ELSE 0 END AS age,
    r.sdq_score,
    r.sdq_reason,
    r.convicted,
    r.health_check,
    r.immunisations,
    r.teeth_check,
    r.health_assessment,
    r.substance_misuse,
    r.intervention_received,
    r.intervention_offered,
    r.copies
FROM rows_of_year AS r
CROSS JOIN annual_params AS p
LEFT JOIN (
    SELECT area_code, as_at, child_id, min(date_of_birth) AS date_of_birth
    FROM clean.children GROUP BY ALL
) AS c ON c.area_code = r.area_code AND c.as_at = r.as_at AND c.child_id = r.child_id
WHERE r.copy = 1;
