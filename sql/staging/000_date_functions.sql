-- Date arithmetic shared by the staging and KPI models (KPIS.md "Conventions").
--
-- completed_years(dob, d): age on d in completed years. A birthday on 29 February is
--   reached on 1 March in other years (28 February is still before it), as in UK law.
-- age_band(age): the KPIS.md age breakdown 0-4, 5-9, 10-15, 16+. An age below 0 (a date
--   before birth, which the contracts should prevent) falls in 0-4 so that every cohort
--   member lands in exactly one band.
-- add_months(d, n): calendar months clamped to month end, as KPIS.md requires:
--   2024-08-31 + 6 months = 2025-02-28; 2023-08-31 + 6 months = 2024-02-29. DuckDB's
--   DATE + INTERVAL already clamps; the cast keeps the result a DATE.
-- Working days are not macros: models join staging.calendar / staging.working_days
-- (wd_between(a, b) = wd_index(b) − wd_index(a); add_wd(d, n) = the working day whose
-- wd_index is wd_index(d) + n), which keeps every model a set-based join.
CREATE OR REPLACE MACRO staging.completed_years(dob, d) AS
    year(d) - year(dob)
    - CASE WHEN (month(d), day(d)) < (month(dob), day(dob)) THEN 1 ELSE 0 END;

CREATE OR REPLACE MACRO staging.age_band(age) AS
    CASE
        WHEN age < 5 THEN '0-4'
        WHEN age < 10 THEN '5-9'
        WHEN age < 16 THEN '10-15'
        ELSE '16+'
    END;

CREATE OR REPLACE MACRO staging.add_months(d, n) AS CAST(d + to_months(n) AS DATE);
