-- staging.kpi_inputs and staging.kpi_availability: which KPIs of a quarter cannot be
-- computed because a table they read was not supplied or does not cover the dates they
-- look at (KPIS.md "Data coverage"). Such a KPI is `x` (not available) in every output,
-- with its reason, never a measured-looking 0; 900_kpi_results.sql blanks its figures.
--
-- kpi_inputs (loaded by pipelines/kpis.py from the `needs` of each KPI's declaration in its
-- `-- kpis:` header block): the optional table each KPI reads (children and episodes are
-- always there), or the optional episode column (OOA01 episodes.placement_area_code, OOA02
-- episodes.placement_distance_miles: 005_table_coverage.sql), and the first date it looks
-- at, relative to the quarter:
--   qs         flows in the quarter (IHA01–03 due dates, RHA01, CAM01–03, CAM05)
--   qe         snapshots at quarter end (IHA04, RHA02, GP01–02, CAM04, OOA01–02). IHA04 counts only
--              periods due on or after the coverage start (010_iha.sql), so it needs
--              coverage from qe only.
--   year       the 12 months (qe − 12 months, qe] (HA01, SDQ01, SDQ02)
-- Every KPI reads episodes too: a history stitched from annual SSDA903 returns covers only
-- their collection years (005_table_coverage.sql); other episodes are always available.
--
-- kpi_availability: one row per area × quarter × KPI that is not available, with reason
--   'no <label> supplied'                              the table is not in the extract
--   '<label> recorded from <coverage_start> only'      the first date looked at is before
--                                                      the coverage start
-- A supplied table with no rows has no coverage start and is not a reason (its zeros are
-- real). HA01 at the 31 March of an OC2 return, where no health assessments were supplied,
-- is available: it comes from the return (staging.ha01_from_oc2, 030_health_assessment_up_to_date.sql).
CREATE OR REPLACE TABLE staging.kpi_availability AS
WITH inputs AS (
    SELECT kpi_id, table_name, looks_from FROM staging.kpi_inputs
    UNION ALL
    -- every KPI reads episodes too, from the first date of its other input (a KPI reading
    -- episodes alone looks at qe)
    SELECT c.kpi_id, 'episodes', coalesce(min(i.looks_from), 'qe')
    FROM staging.kpi_catalogue AS c
    LEFT JOIN staging.kpi_inputs AS i USING (kpi_id)
    GROUP BY c.kpi_id
),
needs AS (
    SELECT
        c.area_code, q.quarter_id AS quarter, k.kpi_id, c.label, c.supplied, c.coverage_start,
        CASE k.looks_from
            WHEN 'qs' THEN q.qs
            WHEN 'qe' THEN q.qe
            WHEN 'year' THEN staging.add_months(q.qe, -12) + 1
        END AS first_date
    FROM inputs AS k
    JOIN staging.table_coverage AS c ON c.table_name = k.table_name
    CROSS JOIN staging.quarters AS q
),
gaps AS (
    SELECT
        area_code, quarter, kpi_id,
        CASE
            WHEN NOT supplied THEN 'no ' || label || ' supplied'
            WHEN first_date < coverage_start
                THEN label || ' recorded from ' || strftime(coverage_start, '%Y-%m-%d') || ' only'
        END AS reason
    FROM needs
)
SELECT area_code, quarter, kpi_id, string_agg(reason, '; ' ORDER BY reason) AS reason
FROM gaps
WHERE reason IS NOT NULL
  AND NOT (kpi_id = 'HA01' AND EXISTS (
      SELECT 1 FROM staging.ha01_from_oc2 AS f
      WHERE f.area_code = gaps.area_code AND f.quarter = gaps.quarter))
GROUP BY area_code, quarter, kpi_id;
