-- Completed health assessments: IHAs and RHAs with status completed and a completed_date,
-- one row per child and completion date (two records of the same day are one assessment,
-- so they cannot start two RHA due dates).
-- Used by the IHA cohort (a completed assessment in the 3 months before a period starts
-- means no new IHA is required), the RHA due chain and HA01.
CREATE OR REPLACE TABLE staging.completed_assessments AS
SELECT DISTINCT child_key, area_code, child_id, completed_date
FROM staging.health_assessments
WHERE status = 'completed'
  AND completed_date IS NOT NULL
  AND assessment_type IN ('IHA', 'RHA');
