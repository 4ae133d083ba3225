-- The rows a KPI run computes from: for each area, the one as-at extract chosen in
-- staging.extracts (loaded by pipelines.kpis; by default the area's latest as_at), with
-- its children and episodes stitched from earlier annual SSDA903 returns where the chosen
-- extract is one (staging.history_extracts, 004_history_extracts.sql).
--
-- * A child, period or assessment counts only in the area whose extract it came from:
--   child_id is unique within an area only. Each child gets child_key, a number unique
--   across areas (by area_code, child_id), and every later model joins on it.
-- * sex, ethnicity, uasc and placement_type feed only the equality breakdowns
--   (staging.equality_groups).
-- * Codes are trimmed and cased once here (blank = NULL: "not known" in EXTRACTS.md) so
--   that later models compare them plainly.
-- * Rows of a child missing from children (the contract quarantines them) are left out, so
--   every record has a date of birth and lands in exactly one age band.
-- * A child listed twice in children (the contract forbids it) is kept once, so no child
--   can be counted twice.
CREATE OR REPLACE TABLE staging.children AS
WITH chosen AS (
    SELECT c.area_code, c.child_id, c.date_of_birth, c.sex, c.ethnicity, c.uasc
    FROM clean.children AS c
    JOIN staging.history_extracts AS x ON x.area_code = c.area_code AND x.as_at = c.as_at
    QUALIFY row_number() OVER (
        PARTITION BY c.area_code, c.child_id ORDER BY x.recency_rank, c.file, c.row_number
    ) = 1
)
SELECT
    CAST(row_number() OVER (ORDER BY area_code, child_id) AS INTEGER) AS child_key,
    area_code,
    child_id,
    date_of_birth,
    upper(nullif(trim(sex), '')) AS sex,
    upper(nullif(trim(ethnicity), '')) AS ethnicity,
    uasc
FROM chosen;

CREATE OR REPLACE TABLE staging.episodes AS
SELECT
    c.child_key,
    e.area_code,
    e.child_id,
    e.episode_start,
    e.episode_end,
    upper(nullif(trim(e.reason_new_episode), '')) AS rne,
    upper(nullif(trim(e.legal_status), '')) AS legal_status,
    upper(nullif(trim(e.reason_episode_ceased), '')) AS rec,
    upper(nullif(trim(e.placement_area_code), '')) AS placement_area_code,
    e.placement_distance_miles,
    upper(nullif(trim(e.placement_type), '')) AS placement_type,
    e.file,
    e.row_number
FROM clean.episodes AS e
JOIN staging.history_extracts AS x
  ON x.area_code = e.area_code AND x.as_at = e.as_at
 AND (x.keep_ended_before IS NULL OR e.episode_end < x.keep_ended_before)
JOIN staging.children AS c ON c.area_code = e.area_code AND c.child_id = e.child_id;

CREATE OR REPLACE TABLE staging.health_assessments AS
SELECT
    c.child_key,
    h.area_code,
    h.child_id,
    h.assessment_id,
    upper(trim(h.assessment_type)) AS assessment_type,
    h.requested_date,
    h.completed_date,
    lower(trim(h.status)) AS status,
    lower(nullif(trim(h.delay_reason), '')) AS delay_reason
FROM clean.health_assessments AS h
JOIN staging.extracts AS x ON x.area_code = h.area_code AND x.as_at = h.as_at
JOIN staging.children AS c ON c.area_code = h.area_code AND c.child_id = h.child_id;

CREATE OR REPLACE TABLE staging.gp_registrations AS
SELECT
    c.child_key,
    g.area_code,
    g.child_id,
    lower(nullif(trim(g.registration_type), '')) AS registration_type,
    g.registered_from,
    g.registered_to
FROM clean.gp_registrations AS g
JOIN staging.extracts AS x ON x.area_code = g.area_code AND x.as_at = g.as_at
JOIN staging.children AS c ON c.area_code = g.area_code AND c.child_id = g.child_id;

CREATE OR REPLACE TABLE staging.camhs_referrals AS
SELECT
    c.child_key,
    r.area_code,
    r.child_id,
    r.referral_id,
    r.referral_date,
    lower(nullif(trim(r.referral_outcome), '')) AS referral_outcome,
    r.first_contact_date,
    r.closed_date
FROM clean.camhs_referrals AS r
JOIN staging.extracts AS x ON x.area_code = r.area_code AND x.as_at = r.as_at
JOIN staging.children AS c ON c.area_code = r.area_code AND c.child_id = r.child_id;

CREATE OR REPLACE TABLE staging.sdq AS
SELECT c.child_key, s.area_code, s.child_id, s.sdq_date, s.sdq_score
FROM clean.sdq AS s
JOIN staging.extracts AS x ON x.area_code = s.area_code AND x.as_at = s.as_at
JOIN staging.children AS c ON c.area_code = s.area_code AND c.child_id = s.child_id;
