-- CAMHS referrals with their wait to first contact, in days (KPIS.md "CAMHS access").
-- wait_days = first_contact_date − referral_date; NULL while the child is still waiting.
-- Whether the child was looked after on referral_date is decided by the KPI model, from
-- staging.looked_after_on_date.
CREATE OR REPLACE TABLE staging.camhs_waits AS
SELECT
    child_key,
    area_code,
    child_id,
    referral_id,
    referral_date,
    referral_outcome,
    first_contact_date,
    closed_date,
    first_contact_date - referral_date AS wait_days
FROM staging.camhs_referrals;
