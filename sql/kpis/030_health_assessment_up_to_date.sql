-- HA01 Health assessment up to date (KPIS.md; the DfE OC2 measure), as fact rows (see
-- 010_iha.sql).
--
-- Cohort: staging.looked_after_12_months (looked after at qe, not on V3/V4, current period
-- began on or before qe − 12 months, no V3/V4 episode in (qe − 12 months, qe]).
-- hit: a completed IHA or RHA dated in (qe − 12 months, qe]. Reference date: qe.
--
-- Where the extract supplies no health assessments but an OC2 return, the 31 March the
-- return is for (staging.ha01_from_oc2) takes its cohort and hits from the return instead:
-- the OC2 children, hit = HEALTH_ASSESSMENT = 1 (staging.ha01_oc2_children). Those rows
-- carry source 'oc2' in marts.kpi_results; every other HA01 row is from the records.
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   HA01:
--     name: Health assessment up to date
--     family: HA
--     unit: "%"
--     polarity: high
--     reference_date: quarter end
--     needs: {table: health_assessments, from: year}
--     charts: [equity]
--     published: annual_health_assessment
--     definition: >-
--       Of the children in care for at least 12 months on the last day of the quarter, the share
--       who had a health assessment in those 12 months (the DfE measure).
CREATE OR REPLACE VIEW staging.kpi_facts_ha AS
WITH assessed AS (
    SELECT DISTINCT c.child_key, c.qe
    FROM staging.looked_after_12_months AS c
    JOIN staging.completed_assessments AS a
      ON a.child_key = c.child_key
     AND a.completed_date > c.window_start
     AND a.completed_date <= c.qe
),
from_records AS (
    SELECT c.area_code, c.quarter_id AS quarter, 'HA01' AS kpi_id, c.child_key, c.qe AS ref_date,
           c.placement, c.age_band, a.child_key IS NOT NULL AS hit, CAST(NULL AS DOUBLE) AS measure
    FROM staging.looked_after_12_months AS c
    LEFT JOIN assessed AS a
      ON a.child_key = c.child_key AND a.qe = c.qe
    ANTI JOIN staging.ha01_from_oc2 AS f
      ON f.area_code = c.area_code AND f.quarter = c.quarter_id
)
SELECT * FROM from_records
UNION ALL
SELECT area_code, quarter, 'HA01', child_key, qe, placement, age_band, hit, CAST(NULL AS DOUBLE)
FROM staging.ha01_oc2_children;
