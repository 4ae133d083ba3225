-- SDQ01 and SDQ02 (KPIS.md "Emotional health (SDQ)"), as fact rows (see 010_iha.sql).
--
-- Cohort: HA01's cohort (staging.looked_after_12_months) aged 5 to 16 inclusive at qe.
-- SDQ01 hit: an SDQ dated in (qe − 12 months, qe].
-- SDQ02 cohort: those with such an SDQ; hit = the latest score in that window is >= 17
--       (bands 0–13 normal, 14–16 borderline, 17+ concern). Two SDQs on the latest date:
--       the higher score is taken.
-- Reference date: qe.
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   SDQ01:
--     name: SDQ recorded
--     family: SDQ
--     unit: "%"
--     polarity: high
--     reference_date: quarter end
--     needs: {table: sdq, from: year}
--     charts: [equity]
--     published: sdq_received
--     definition: >-
--       Of the children aged 5 to 16 in care for at least 12 months, the share with a Strengths
--       and Difficulties Questionnaire in the last 12 months.
--   SDQ02:
--     name: SDQ cause for concern
--     family: SDQ
--     unit: "%"
--     polarity: context
--     reference_date: quarter end
--     needs: {table: sdq, from: year}
--     published: sdq_concern
--     definition: >-
--       Of those children with a questionnaire in the last 12 months, the share whose latest
--       score (17 or more) is a cause for concern.
CREATE OR REPLACE VIEW staging.kpi_facts_sdq AS
WITH cohort AS (
    SELECT *
    FROM staging.looked_after_12_months
    WHERE age BETWEEN 5 AND 16
),
latest_sdq AS (
    SELECT c.child_key, c.qe, s.sdq_score
    FROM cohort AS c
    JOIN staging.sdq AS s
      ON s.child_key = c.child_key
     AND s.sdq_date > c.window_start
     AND s.sdq_date <= c.qe
    QUALIFY row_number() OVER (
        PARTITION BY c.child_key, c.qe
        ORDER BY s.sdq_date DESC, s.sdq_score DESC
    ) = 1
)
SELECT c.area_code, c.quarter_id AS quarter, 'SDQ01' AS kpi_id, c.child_key, c.qe AS ref_date,
       c.placement, c.age_band, s.child_key IS NOT NULL AS hit,
       CAST(NULL AS DOUBLE) AS measure
FROM cohort AS c
LEFT JOIN latest_sdq AS s
  ON s.child_key = c.child_key AND s.qe = c.qe
UNION ALL
SELECT c.area_code, c.quarter_id, 'SDQ02', c.child_key, c.qe, c.placement, c.age_band,
       s.sdq_score >= 17, NULL
FROM cohort AS c
JOIN latest_sdq AS s
  ON s.child_key = c.child_key AND s.qe = c.qe;
