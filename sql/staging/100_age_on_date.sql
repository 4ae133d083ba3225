-- Age on a date in completed years (KPIS.md), and its age band (0-4, 5-9, 10-15, 16+), for
-- every reference date. The age breakdown of a KPI uses the cohort's reference date.
-- A view: staging.child_on_date materialises it together with the snapshot, so the rule is
-- written once here and computed once there.
CREATE OR REPLACE VIEW staging.age_on_date AS
SELECT
    r.child_key,
    r.ref_date,
    staging.completed_years(c.date_of_birth, r.ref_date) AS age,
    staging.age_band(staging.completed_years(c.date_of_birth, r.ref_date)) AS age_band
FROM staging.reference_dates AS r
JOIN staging.children AS c ON c.child_key = r.child_key;
