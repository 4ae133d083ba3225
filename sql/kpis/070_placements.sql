-- OOA01 and OOA02 (KPIS.md "Out-of-area placements"), as fact rows (see 010_iha.sql).
--
-- Cohort: children looked after at qe (not on V3/V4 then). Reference date: qe.
-- OOA01 hit: placement_area_code known and different from the responsible area. A blank
--       placement area is not known: it stays in the denominator and shows as the
--       placement:UNKNOWN breakdown row.
-- OOA02 hit: placement_distance_miles > 20. A blank distance stays in the denominator
--       (DfE reports "not known" as a share of all children).
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   OOA01:
--     name: Placed outside the area
--     family: OOA
--     unit: "%"
--     polarity: context
--     reference_date: quarter end
--     needs: {table: episodes.placement_area_code, from: qe}
--     definition: >-
--       Of the children in care on the last day of the quarter, the share living outside the
--       authority's boundary (children whose placement area is not known stay in the total).
--   OOA02:
--     name: Placed more than 20 miles from home
--     family: OOA
--     unit: "%"
--     polarity: low
--     reference_date: quarter end
--     published: placed_over_20_miles
--     needs: {table: episodes.placement_distance_miles, from: qe}
--     definition: >-
--       Of the children in care on the last day of the quarter, the share placed more than 20
--       miles from home (children whose distance is not known stay in the total).
CREATE OR REPLACE VIEW staging.kpi_facts_ooa AS
WITH cohort AS (
    SELECT c.*, q.quarter_id
    FROM staging.child_on_date AS c
    JOIN staging.quarters AS q ON q.qe = c.ref_date
    WHERE c.looked_after AND NOT c.short_break
)
SELECT area_code, quarter_id AS quarter, 'OOA01' AS kpi_id, child_key, ref_date,
       placement, age_band, placement = 'OUT' AS hit, CAST(NULL AS DOUBLE) AS measure
FROM cohort
UNION ALL
SELECT area_code, quarter_id, 'OOA02', child_key, ref_date, placement, age_band,
       coalesce(placement_distance_miles > 20, false), NULL
FROM cohort;
