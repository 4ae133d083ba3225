-- Placement location on a date, for the placement breakdown of every KPI (KPIS.md
-- "Breakdowns"): the placement_area_code of the episode covering the date, compared with
-- the responsible area (the extract's area_code):
--   IN       placed in the responsible area
--   OUT      placed in another area
--   UNKNOWN  placement area blank, or no episode covers the date
-- The rule is the macro placement_location; the view applies it to every reference date.
-- staging.child_on_date applies the same macro while it builds the snapshot, so the
-- breakdown costs no extra join.
CREATE OR REPLACE MACRO staging.placement_location(placement_area_code, responsible_area_code) AS
    CASE
        WHEN placement_area_code IS NULL THEN 'UNKNOWN'
        WHEN placement_area_code = upper(trim(responsible_area_code)) THEN 'IN'
        ELSE 'OUT'
    END;

CREATE OR REPLACE VIEW staging.placement_on_date AS
SELECT
    r.child_key,
    r.ref_date,
    staging.placement_location(l.placement_area_code, c.area_code) AS placement
FROM staging.reference_dates AS r
JOIN staging.children AS c ON c.child_key = r.child_key
LEFT JOIN staging.looked_after_on_date AS l
  ON l.child_key = r.child_key AND l.ref_date = r.ref_date;
