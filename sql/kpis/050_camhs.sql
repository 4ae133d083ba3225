-- CAM01–CAM05 (KPIS.md "CAMHS access"), as fact rows (see 010_iha.sql).
--
-- A referral counts only when the child was looked after on referral_date (and not on a
-- V3/V4 episode then). Waits are in days. Reference date: the referral date.
-- CAM01 count of referrals with referral_date in the quarter.
-- CAM02 referrals whose first_contact_date is in the quarter: hit = wait <= 28 days.
-- CAM03 the same cohort: hit = wait <= 126 days.
-- CAM04 referrals open at qe (referral_date <= qe; outcome accepted or pending;
--       first_contact_date blank or > qe; closed_date blank or > qe):
--       hit = qe − referral_date > 126 days.
-- CAM05 the CAM02 cohort: measure = wait; the KPI is the median (DuckDB's median averages
--       the two middle values of an even count).
--
-- kpis:  # the catalogue's entries (pipelines/kpi_catalogue.py reads this block; docs/how-to.md)
--   CAM01:
--     name: CAMHS referrals received
--     family: CAMHS
--     unit: count
--     polarity: context
--     reference_date: referral date
--     needs: {table: camhs_referrals, from: qs}
--     definition: >-
--       The number of referrals to child and adolescent mental health services made in the
--       quarter for children who were in care when referred.
--   CAM02:
--     name: Seen within 4 weeks
--     family: CAMHS
--     unit: "%"
--     polarity: high
--     reference_date: referral date
--     needs: {table: camhs_referrals, from: qs}
--     charts: [equity]
--     definition: >-
--       Of the children in care first seen by CAMHS in the quarter, the share seen within 4
--       weeks (28 days) of referral.
--   CAM03:
--     name: Seen within 18 weeks
--     family: CAMHS
--     unit: "%"
--     polarity: high
--     reference_date: referral date
--     needs: {table: camhs_referrals, from: qs}
--     charts: [equity]
--     definition: >-
--       Of the children in care first seen by CAMHS in the quarter, the share seen within 18
--       weeks (126 days) of referral.
--   CAM04:
--     name: Waiting over 18 weeks at quarter end
--     family: CAMHS
--     unit: "%"
--     polarity: low
--     reference_date: referral date
--     needs: {table: camhs_referrals, from: qe}
--     definition: >-
--       Of the CAMHS referrals of children in care still waiting for a first appointment on the
--       last day of the quarter, the share who had waited more than 18 weeks.
--   CAM05:
--     name: Median wait to first contact
--     family: CAMHS
--     unit: days
--     polarity: low
--     reference_date: referral date
--     needs: {table: camhs_referrals, from: qs}
--     definition: >-
--       For the children in care first seen by CAMHS in the quarter, the middle number of days
--       they waited from referral.
CREATE OR REPLACE VIEW staging.kpi_facts_camhs AS
WITH referrals AS (
    SELECT w.*, c.placement, c.age_band
    FROM staging.camhs_waits AS w
    JOIN staging.child_on_date AS c
      ON c.child_key = w.child_key AND c.ref_date = w.referral_date
    WHERE c.looked_after AND NOT c.short_break
),
received AS (
    SELECT r.*, q.quarter_id
    FROM referrals AS r
    JOIN staging.quarters AS q ON r.referral_date BETWEEN q.qs AND q.qe
),
seen AS (
    SELECT r.*, q.quarter_id
    FROM referrals AS r
    JOIN staging.quarters AS q ON r.first_contact_date BETWEEN q.qs AND q.qe
),
waiting AS (
    SELECT r.*, q.quarter_id, q.qe
    FROM referrals AS r
    JOIN staging.quarters AS q
      ON r.referral_date <= q.qe
     AND (r.first_contact_date IS NULL OR r.first_contact_date > q.qe)
     AND (r.closed_date IS NULL OR r.closed_date > q.qe)
    WHERE r.referral_outcome IN ('accepted', 'pending')
)
SELECT area_code, quarter_id AS quarter, 'CAM01' AS kpi_id, child_key,
       referral_date AS ref_date, placement, age_band, true AS hit,
       CAST(NULL AS DOUBLE) AS measure
FROM received
UNION ALL
SELECT area_code, quarter_id, 'CAM02', child_key, referral_date, placement, age_band,
       wait_days <= 28, NULL
FROM seen
UNION ALL
SELECT area_code, quarter_id, 'CAM03', child_key, referral_date, placement, age_band,
       wait_days <= 126, NULL
FROM seen
UNION ALL
SELECT area_code, quarter_id, 'CAM04', child_key, referral_date, placement, age_band,
       qe - referral_date > 126, NULL
FROM waiting
UNION ALL
SELECT area_code, quarter_id, 'CAM05', child_key, referral_date, placement, age_band,
       NULL, wait_days
FROM seen;
