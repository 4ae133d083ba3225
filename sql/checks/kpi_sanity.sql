-- KPI sanity for one quarter ($1 = quarter id): rows of marts.kpi_results that cannot be right.
-- Definition: a count is never negative (numerator >= 0, denominator >= 0), and a rate's
-- numerator (members with the outcome) never exceeds its denominator (members), so
-- 0 <= numerator <= denominator wherever both are present (KPIS.md; 900_kpi_results.sql).
SELECT area_code, kpi_id, breakdown, numerator, denominator
FROM marts.kpi_results
WHERE quarter = $1
  AND (numerator < 0 OR denominator < 0 OR numerator > denominator)
ORDER BY area_code, kpi_id, breakdown
