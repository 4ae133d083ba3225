-- marts.kpi_results: one row per area × quarter × KPI × breakdown (docs/architecture.md
-- "KPI results"), unsuppressed, without intervals (pipelines.stats adds those).
--
-- The KPI models define one fact row per cohort member (the views staging.kpi_facts_*, so
-- that a figure can be traced to the children behind it), already classified by placement
-- location and age band on its reference date. staging.kpi_facts is their UNION ALL,
-- created by pipelines/kpis.py from the KPI declarations (the `-- kpis:` header block of
-- each model file), so a new KPI file is counted without editing this one. The equality
-- groups of the child on that date (sex, uasc, ethnicity, placement setting:
-- staging.child_on_date) are joined here, and give the equality breakdowns of every rate KPI
-- (sex:male ... setting:unknown). Counted here:
--   rates  (unit %)     numerator = members with hit, denominator = members,
--                       value = 100 · numerator / denominator (NULL when denominator is 0)
--   counts (unit count) numerator = value = members, denominator NULL
--   medians (unit days) numerator NULL, denominator = number of values, value = median
--                       (NULL when there are no values; DuckDB's median averages the two
--                       middle values of an even count)
-- Every breakdown row exists for every area (staging.extracts), quarter and KPI (the
-- equality rows for every rate KPI), zero where a cell is empty, so tables have a stable
-- shape. Each member falls in exactly one cell of each family, so the cells of each
-- breakdown sum to 'all'.
-- A KPI that is not available for the area and quarter (staging.kpi_availability: a table
-- it reads was not supplied or does not cover its dates) has numerator, denominator and
-- value NULL and its reason in `reason`; `reason` is NULL for every computed figure.
-- `source` says where a figure comes from when it is not the extract's own records:
-- 'SSDA903 OC2 return' for HA01 at the 31 March of an OC2 return where no health
-- assessments were supplied (staging.ha01_from_oc2); NULL otherwise.
CREATE OR REPLACE TABLE marts.kpi_results AS
WITH facts AS NOT MATERIALIZED (
    SELECT * FROM staging.kpi_facts
),
-- Counts at the finest grain once; the breakdown cells are sums of these.
finest AS (
    SELECT f.area_code, f.quarter, f.kpi_id, f.placement, f.age_band,
           coalesce(c.sex_group, 'unknown') AS sex_group,
           coalesce(c.uasc_group, 'no') AS uasc_group,
           coalesce(c.ethnic_group, 'unknown') AS ethnic_group,
           coalesce(c.setting, 'unknown') AS setting,
           count(*) AS members, count_if(f.hit) AS hits
    FROM facts AS f
    LEFT JOIN staging.child_on_date AS c ON c.child_key = f.child_key AND c.ref_date = f.ref_date
    GROUP BY ALL
),
counted AS (
    SELECT
        area_code, quarter, kpi_id,
        CASE
            WHEN grouping(placement) = 0 THEN 'placement:' || placement
            WHEN grouping(age_band) = 0 THEN 'age:' || age_band
            WHEN grouping(sex_group) = 0 THEN 'sex:' || sex_group
            WHEN grouping(uasc_group) = 0 THEN 'uasc:' || uasc_group
            WHEN grouping(ethnic_group) = 0 THEN 'ethnicity:' || ethnic_group
            WHEN grouping(setting) = 0 THEN 'setting:' || setting
            ELSE 'all'
        END AS breakdown,
        sum(members) AS members,
        sum(hits) AS hits
    FROM finest
    GROUP BY GROUPING SETS (
        (area_code, quarter, kpi_id),
        (area_code, quarter, kpi_id, placement),
        (area_code, quarter, kpi_id, age_band),
        (area_code, quarter, kpi_id, sex_group),
        (area_code, quarter, kpi_id, uasc_group),
        (area_code, quarter, kpi_id, ethnic_group),
        (area_code, quarter, kpi_id, setting)
    )
),
-- Medians need the values themselves (only the median KPIs have a measure).
medians AS (
    SELECT
        area_code, quarter, kpi_id,
        CASE
            WHEN grouping(placement) = 0 THEN 'placement:' || placement
            WHEN grouping(age_band) = 0 THEN 'age:' || age_band
            ELSE 'all'
        END AS breakdown,
        count(*) AS n_values,
        median(measure) AS median_value
    FROM facts
    WHERE measure IS NOT NULL
    GROUP BY GROUPING SETS (
        (area_code, quarter, kpi_id),
        (area_code, quarter, kpi_id, placement),
        (area_code, quarter, kpi_id, age_band)
    )
),
grid AS (
    -- staging.breakdowns: pipelines.kpi_catalogue.BREAKDOWNS and EQUALITY_BREAKDOWNS,
    -- loaded by pipelines/kpis.py (equality rows for rate KPIs only)
    SELECT x.area_code, x.as_at, q.quarter_id AS quarter, k.kpi_id, k.unit, b.breakdown
    FROM staging.extracts AS x
    CROSS JOIN staging.quarters AS q
    CROSS JOIN staging.kpi_catalogue AS k
    CROSS JOIN staging.breakdowns AS b
    WHERE k.unit = '%' OR NOT b.equality
)
SELECT
    g.area_code,
    g.quarter,
    g.kpi_id,
    g.breakdown,
    CAST(CASE WHEN a.reason IS NULL THEN CASE g.unit
        WHEN '%' THEN coalesce(c.hits, 0)
        WHEN 'count' THEN coalesce(c.members, 0)
    END END AS BIGINT) AS numerator,
    CAST(CASE WHEN a.reason IS NULL THEN CASE g.unit
        WHEN '%' THEN coalesce(c.members, 0)
        WHEN 'days' THEN coalesce(m.n_values, 0)
    END END AS BIGINT) AS denominator,
    CAST(CASE WHEN a.reason IS NULL THEN CASE g.unit
        WHEN '%' THEN 100.0 * coalesce(c.hits, 0) / nullif(c.members, 0)
        WHEN 'count' THEN coalesce(c.members, 0)
        WHEN 'days' THEN m.median_value
    END END AS DOUBLE) AS value,
    g.as_at,
    a.reason,
    CASE WHEN g.kpi_id = 'HA01' AND o.area_code IS NOT NULL THEN 'SSDA903 OC2 return' END AS source
FROM grid AS g
LEFT JOIN counted AS c
  ON c.area_code = g.area_code AND c.quarter = g.quarter
 AND c.kpi_id = g.kpi_id AND c.breakdown = g.breakdown
LEFT JOIN medians AS m
  ON m.area_code = g.area_code AND m.quarter = g.quarter
 AND m.kpi_id = g.kpi_id AND m.breakdown = g.breakdown
LEFT JOIN staging.kpi_availability AS a
  ON a.area_code = g.area_code AND a.quarter = g.quarter AND a.kpi_id = g.kpi_id
LEFT JOIN staging.ha01_from_oc2 AS o
  ON o.area_code = g.area_code AND o.quarter = g.quarter
ORDER BY g.area_code, g.quarter, g.kpi_id, g.breakdown;
