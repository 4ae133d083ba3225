-- Age on a date in completed years (KPIS.md), and its age band (0-4, 5-9, 10-15, 16+), for
-- every reference date. The age breakdown of a KPI uses the cohort's reference date.
-- The rules are the macros completed_years and age_band (000_date_functions.sql); the view
-- applies them to every reference date. staging.child_on_date applies the same macros
-- while it builds the snapshot, so the breakdown costs no extra join.
CREATE OR REPLACE VIEW staging.age_on_date AS
SELECT
    r.child_key,
    r.ref_date,
    staging.completed_years(c.date_of_birth, r.ref_date) AS age,
    staging.age_band(staging.completed_years(c.date_of_birth, r.ref_date)) AS age_band
FROM staging.reference_dates AS r
JOIN staging.children AS c ON c.child_key = r.child_key;
