-- GP01 and GP02 (KPIS.md "GP registration"), as fact rows (see 010_iha.sql).
--
-- Cohort: children looked after at qe (not on V3/V4 then). Reference date: qe.
-- GP01 hit: a registration spell active at qe (registered_from <= qe and registered_to
--      blank or > qe: a spell ending on qe is no longer active on qe).
-- GP02 hit: such a spell of type permanent.
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   GP01:
--     name: Registered with a GP
--     family: GP
--     unit: "%"
--     polarity: high
--     reference_date: quarter end
--     needs: {table: gp_registrations, from: qe}
--     charts: [equity]
--     definition: >-
--       Of the children in care on the last day of the quarter, the share registered with a GP
--       practice on that day.
--   GP02:
--     name: Permanently registered with a GP
--     family: GP
--     unit: "%"
--     polarity: high
--     reference_date: quarter end
--     needs: {table: gp_registrations, from: qe}
--     charts: [equity]
--     definition: >-
--       Of the children in care on the last day of the quarter, the share with a permanent (not
--       temporary) GP registration on that day.
CREATE OR REPLACE VIEW staging.kpi_facts_gp AS
WITH cohort AS (
    SELECT c.child_key, c.area_code, q.quarter_id, q.qe, c.placement, c.age_band
    FROM staging.child_on_date AS c
    JOIN staging.quarters AS q ON q.qe = c.ref_date
    WHERE c.looked_after AND NOT c.short_break
),
active AS (
    SELECT c.child_key, c.qe, bool_or(g.registration_type = 'permanent') AS permanent
    FROM cohort AS c
    JOIN staging.gp_registrations AS g
      ON g.child_key = c.child_key
     AND g.registered_from <= c.qe
     AND (g.registered_to IS NULL OR g.registered_to > c.qe)
    GROUP BY c.child_key, c.qe
),
registration AS (
    SELECT c.*, a.child_key IS NOT NULL AS registered, coalesce(a.permanent, false) AS permanent
    FROM cohort AS c
    LEFT JOIN active AS a ON a.child_key = c.child_key AND a.qe = c.qe
)
SELECT area_code, quarter_id AS quarter, 'GP01' AS kpi_id, child_key, qe AS ref_date,
       placement, age_band, registered AS hit, CAST(NULL AS DOUBLE) AS measure
FROM registration
UNION ALL
SELECT area_code, quarter_id, 'GP02', child_key, qe, placement, age_band, permanent, NULL
FROM registration;
