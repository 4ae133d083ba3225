-- staging.ha01_from_oc2: the area-quarters whose HA01 comes from the SSDA903 OC2 return
-- instead of the health assessment records (issue 12 item 7; docs/kpis.md "HA01 from the
-- OC2 return").
--
-- An extract that supplies no health_assessments table cannot show who had an assessment
-- in the year, so HA01 would be `x`. When it supplies an OC2 table, the return answers the
-- same question for the one quarter end it is about: the 31 March of the year it was
-- returned for (the latest 31 March on or before the as-at date, as pipelines.annual reads
-- it). HA01 at that quarter end is then DfE's own measure, "had their annual health
-- assessment": the OC2 children (DfE's cohort, looked after continuously for 12 months at
-- 31 March) with HEALTH_ASSESSMENT = 1. Every other quarter stays `x`.
--
-- An OC2 table counts as supplied when it holds rows for the extract or a file of it was
-- accepted (a header-only OC2 file gives a cohort of no one: HA01 is then `z`).
-- oc2_children holds one row per OC2 child of those extracts (a child listed twice keeps
-- its first row, as sql/annual/010_oc2_children.sql does), with its placement and age band
-- on 31 March (from episodes and the children table; from the OC2 date of birth and
-- placement UNKNOWN when the child is not in them; a child with no date of birth anywhere
-- falls in the age macro's catch-all band, 16+, so that the bands still sum to the total).
CREATE OR REPLACE TABLE staging.ha01_from_oc2 AS
WITH supplied AS (
    SELECT DISTINCT area_code, as_at FROM clean.oc2
    UNION
    SELECT DISTINCT area_code, as_at FROM audit.validation_summary
    WHERE "table" = 'oc2' AND status = 'accepted'
)
SELECT x.area_code, x.as_at, q.quarter_id AS quarter, q.qe
FROM staging.extracts AS x
JOIN supplied AS s ON s.area_code = x.area_code AND s.as_at = x.as_at
JOIN staging.table_coverage AS c
  ON c.area_code = x.area_code AND c.as_at = x.as_at
 AND c.table_name = 'health_assessments' AND NOT c.supplied
JOIN staging.quarters AS q
  ON q.qe = make_date(
        year(x.as_at) - CASE WHEN (month(x.as_at), day(x.as_at)) < (3, 31) THEN 1 ELSE 0 END, 3, 31);

CREATE OR REPLACE TABLE staging.ha01_oc2_children AS
WITH first_rows AS (
    SELECT o.*, f.quarter, f.qe,
           row_number() OVER (PARTITION BY o.area_code, o.as_at, o.child_id ORDER BY o.row_number) AS copy
    FROM clean.oc2 AS o
    JOIN staging.ha01_from_oc2 AS f ON f.area_code = o.area_code AND f.as_at = o.as_at
)
SELECT
    r.area_code,
    r.quarter,
    r.qe,
    d.child_key,
    r.child_id,
    coalesce(r.health_assessment, 0) = 1 AS hit,
    coalesce(d.placement, 'UNKNOWN') AS placement,
    coalesce(d.age_band, staging.age_band(staging.completed_years(r.date_of_birth, r.qe))) AS age_band
FROM first_rows AS r
LEFT JOIN staging.child_on_date AS d
  ON d.area_code = r.area_code AND d.child_id = r.child_id AND d.ref_date = r.qe
WHERE r.copy = 1;
