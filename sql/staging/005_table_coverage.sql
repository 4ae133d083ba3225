-- staging.table_coverage: for each chosen extract (staging.extracts) and each table a KPI
-- may read besides children and episodes, whether the extract supplied it and the dates it
-- covers (KPIS.md "Data coverage"; docs/kpis.md "Not available is not zero").
--
-- supplied        the extract holds accepted rows of the table in clean.*, or a file of the
--                 table was accepted in audit.validation_summary (a file with a header and
--                 no rows is supplied: its KPIs are real zeros). A table with neither was
--                 not supplied and is never read as empty.
-- first_date      the earliest date the table holds (health assessments: requested or
--                 completed; GP registrations: registered_from; CAMHS: referral_date; SDQ:
--                 sdq_date). NULL when it holds no rows.
-- coverage_start  the first day of the quarter holding first_date (quarters begin on 1 Jan,
--                 Apr, Jul, Oct): records that begin within a quarter are read as covering
--                 that quarter, whose first event simply came after its first day (the
--                 spec's "the earliest date it holds", on the grain the KPIs are published
--                 at; docs/kpis.md). Coverage runs to the as-at date.
-- label           the table in words, for the reasons of KPIs that are not available.
CREATE OR REPLACE TABLE staging.table_coverage AS
WITH tables AS (
    SELECT * FROM (VALUES
        ('health_assessments', 'health assessments'),
        ('gp_registrations', 'GP registrations'),
        ('camhs_referrals', 'CAMHS referrals'),
        ('sdq', 'SDQ scores')
    ) AS t(table_name, label)
),
dates AS (
    SELECT area_code, as_at, 'health_assessments' AS table_name,
           least(requested_date, completed_date) AS d
    FROM clean.health_assessments
    UNION ALL
    SELECT area_code, as_at, 'gp_registrations', registered_from FROM clean.gp_registrations
    UNION ALL
    SELECT area_code, as_at, 'camhs_referrals', referral_date FROM clean.camhs_referrals
    UNION ALL
    SELECT area_code, as_at, 'sdq', sdq_date FROM clean.sdq
),
held AS (
    SELECT area_code, as_at, table_name, min(d) AS first_date
    FROM dates
    GROUP BY area_code, as_at, table_name
),
accepted_files AS (
    SELECT DISTINCT area_code, as_at, "table" AS table_name
    FROM audit.validation_summary
    WHERE status = 'accepted'
)
SELECT
    x.area_code,
    x.as_at,
    t.table_name,
    t.label,
    (h.table_name IS NOT NULL OR f.table_name IS NOT NULL) AS supplied,
    h.first_date,
    CAST(date_trunc('quarter', h.first_date) AS DATE) AS coverage_start
FROM staging.extracts AS x
CROSS JOIN tables AS t
LEFT JOIN held AS h
  ON h.area_code = x.area_code AND h.as_at = x.as_at AND h.table_name = t.table_name
LEFT JOIN accepted_files AS f
  ON f.area_code = x.area_code AND f.as_at = x.as_at AND f.table_name = t.table_name
UNION ALL
-- Episodes are always supplied. A history stitched from annual SSDA903 returns covers only
-- the collection years of its returns: from 1 April of the first one's year (a return holds
-- only the episodes open in its year, so earlier dates would be undercounted). A
-- case-management extract covers its whole history (no coverage start).
SELECT
    x.area_code,
    x.as_at,
    'episodes',
    'care episodes (annual SSDA903 returns)',
    TRUE,
    NULL,
    r.history_start
FROM staging.extracts AS x
LEFT JOIN (
    SELECT area_code, min(make_date(year(as_at) - 1, 4, 1)) AS history_start
    FROM staging.history_extracts
    WHERE return_shaped
    GROUP BY area_code
) AS r ON r.area_code = x.area_code
UNION ALL
-- The optional episode columns a KPI reads: not supplied when the chosen extract's episodes
-- file did not have the column at all (the SSDA903 return has neither: it carries the
-- placement postcode, cut to its district, not the placement's area code or distance).
-- A column present but blank in some rows is supplied: its blanks are "not known".
SELECT
    x.area_code,
    x.as_at,
    f.field,
    f.label,
    NOT coalesce(list_contains(string_split(t.columns_not_supplied, ','), f.column_name), FALSE),
    NULL,
    NULL
FROM staging.extracts AS x
CROSS JOIN (VALUES
    ('episodes.placement_area_code', 'placement_area_code', 'placement area codes'),
    ('episodes.placement_distance_miles', 'placement_distance_miles', 'placement distances')
) AS f(field, column_name, label)
LEFT JOIN audit.extract_tables AS t
  ON t.area_code = x.area_code AND t.as_at = x.as_at AND t.table_name = 'episodes';
