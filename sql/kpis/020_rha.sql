-- RHA01 and RHA02 (KPIS.md "Review health assessments"), as fact rows (see 010_iha.sql).
--
-- RHA01 every RHA due date (staging.rha_dues) in the quarter for a child looked after on
--       the due date (not on V3/V4 then): hit = a completed IHA or RHA dated in (a, due].
--       Reference date: the due date.
-- RHA02 count of children looked after at qe (not on V3/V4) whose latest completed
--       assessment dated on or before qe has its due date before qe (so nothing was
--       completed since it). A child with no completed assessment at all is not counted
--       here: their missing assessment is an IHA (IHA04). Reference date: qe.
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   RHA01:
--     name: RHA completed on time
--     family: RHA
--     unit: "%"
--     polarity: high
--     reference_date: due date
--     needs: {table: health_assessments, from: qs}
--     charts: [equity, spc]
--     definition: >-
--       Of the review health assessments that fell due in the quarter for children in care, the
--       share done by the due date (6 months after the last assessment for under-5s, 12 months
--       for older children).
--   RHA02:
--     name: RHAs overdue at quarter end
--     family: RHA
--     unit: count
--     polarity: low
--     reference_date: quarter end
--     needs: {table: health_assessments, from: qe}
--     definition: >-
--       The number of children in care on the last day of the quarter whose next review health
--       assessment was due before then and has not taken place.
CREATE OR REPLACE VIEW staging.kpi_facts_rha AS
WITH due_in_quarter AS (
    SELECT d.area_code, q.quarter_id, d.child_key, d.due_date, d.on_time, c.placement, c.age_band
    FROM staging.rha_dues AS d
    JOIN staging.quarters AS q ON d.due_date BETWEEN q.qs AND q.qe
    JOIN staging.child_on_date AS c
      ON c.child_key = d.child_key AND c.ref_date = d.due_date
    WHERE c.looked_after AND NOT c.short_break
),
overdue AS (
    -- the latest assessment on or before qe is the one whose next assessment is after qe
    SELECT d.area_code, q.quarter_id, d.child_key, q.qe, c.placement, c.age_band
    FROM staging.rha_dues AS d
    JOIN staging.quarters AS q
      ON d.assessed_on <= q.qe
     AND (d.next_completed_date IS NULL OR d.next_completed_date > q.qe)
     AND d.due_date < q.qe
    JOIN staging.child_on_date AS c
      ON c.child_key = d.child_key AND c.ref_date = q.qe
    WHERE c.looked_after AND NOT c.short_break
)
SELECT area_code, quarter_id AS quarter, 'RHA01' AS kpi_id, child_key, due_date AS ref_date,
       placement, age_band, on_time AS hit, CAST(NULL AS DOUBLE) AS measure
FROM due_in_quarter
UNION ALL
SELECT area_code, quarter_id, 'RHA02', child_key, qe, placement, age_band, true, NULL
FROM overdue;
