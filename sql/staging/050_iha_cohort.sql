-- Every period of care with its initial health assessment (IHA) due date, request, matching
-- IHA and outcome (KPIS.md "Initial health assessments"). One row per period whose start is
-- known; in_cohort says whether it meets the IHA cohort rules. The KPI models pick the
-- cohort of a quarter by due date (IHA01–IHA03, delay reasons, monthly timeliness) or the
-- periods overdue at a quarter end (IHA04).
--
-- due_date
--   England, Wales, Northern Ireland: add_wd(period_start, 20) in the nation's calendar.
--   Scotland (CEL 16 (2009), S codes): the IHA request's requested_date + 28 calendar days,
--   or period_start + 28 days when there is no request (the period then cannot be on time).
--   The Scottish due date is used for all four IHA KPIs of S areas (cohort by due date in
--   the quarter, on time, overdue); IHA01 and IHA03 still count working days, with
--   Scottish bank holidays.
-- request   the child's earliest IHA row of any status with requested_date on or after
--           period_start − 7 days (pre-planned entries) and before the period ends.
-- matching  the child's earliest completed IHA (status completed, completed_date set) with
--           completed_date >= period_start and before the period ends.
-- in_cohort the period did not begin on V3/V4 (short breaks), did not end on or before its
--           due date, and did not follow a completed IHA or RHA dated in
--           [period_start − 3 months, period_start) (no new IHA is then required).
-- requested_on_time  (IHA01) requested_date <= add_wd(period_start, 5); no request = not.
-- completed_on_time  (IHA02) matching completed_date <= due_date (and, in Scotland, a
--                    request exists).
-- working_days_to_iha (IHA03) wd_between(period_start, matching completed_date).
-- delay_reason  of the matching IHA, else of the request row, else 'not_recorded'.
-- after_recent_assessment  the period followed a completed IHA or RHA within 3 months
--                    (exposed on its own so IHA04 can apply the cohort rules with the due
--                    date known at a quarter end, see 010_iha.sql).
CREATE OR REPLACE TABLE staging.iha_periods AS
WITH periods AS (
    SELECT p.child_key, p.area_code, p.child_id, p.period_seq, p.period_start, p.period_end,
           p.first_legal_status, x.nation
    FROM staging.periods_of_care AS p
    JOIN staging.extracts AS x ON x.area_code = p.area_code
    WHERE p.start_known
),
iha AS (
    SELECT * FROM staging.health_assessments WHERE assessment_type = 'IHA'
),
request AS (
    SELECT p.child_key, p.period_seq, h.requested_date, h.delay_reason
    FROM periods AS p
    JOIN iha AS h
      ON h.child_key = p.child_key
     AND h.requested_date >= p.period_start - 7
     AND (p.period_end IS NULL OR h.requested_date < p.period_end)
    QUALIFY row_number() OVER (
        PARTITION BY p.child_key, p.period_seq
        ORDER BY h.requested_date, h.assessment_id
    ) = 1
),
matching AS (
    SELECT p.child_key, p.period_seq, h.completed_date, h.delay_reason
    FROM periods AS p
    JOIN iha AS h
      ON h.child_key = p.child_key
     AND h.status = 'completed'
     AND h.completed_date >= p.period_start
     AND (p.period_end IS NULL OR h.completed_date < p.period_end)
    QUALIFY row_number() OVER (
        PARTITION BY p.child_key, p.period_seq
        ORDER BY h.completed_date, h.assessment_id
    ) = 1
),
recent_assessment AS (
    SELECT DISTINCT p.child_key, p.period_seq
    FROM periods AS p
    JOIN staging.completed_assessments AS a
      ON a.child_key = p.child_key
     AND a.completed_date >= staging.add_months(p.period_start, -3)
     AND a.completed_date < p.period_start
),
dated AS (
    SELECT
        p.*,
        r.requested_date,
        m.completed_date AS iha_completed_date,
        coalesce(m.delay_reason, r.delay_reason, 'not_recorded') AS delay_reason,
        ra.child_key IS NOT NULL AS after_recent_assessment,
        deadline5.day AS request_deadline,
        CASE
            WHEN p.nation = 'SCT' THEN coalesce(r.requested_date, p.period_start) + 28
            ELSE due20.day
        END AS due_date,
        done.wd_index - start_cal.wd_index AS working_days_to_iha
    FROM periods AS p
    LEFT JOIN request AS r USING (child_key, period_seq)
    LEFT JOIN matching AS m USING (child_key, period_seq)
    LEFT JOIN recent_assessment AS ra USING (child_key, period_seq)
    LEFT JOIN staging.calendar AS start_cal
      ON start_cal.nation = p.nation AND start_cal.day = p.period_start
    LEFT JOIN staging.working_days AS deadline5
      ON deadline5.nation = p.nation AND deadline5.wd_index = start_cal.wd_index + 5
    LEFT JOIN staging.working_days AS due20
      ON due20.nation = p.nation AND due20.wd_index = start_cal.wd_index + 20
    LEFT JOIN staging.calendar AS done
      ON done.nation = p.nation AND done.day = m.completed_date
)
SELECT
    child_key,
    area_code,
    child_id,
    period_seq,
    nation,
    period_start,
    period_end,
    first_legal_status,
    due_date,
    request_deadline,
    requested_date,
    iha_completed_date,
    working_days_to_iha,
    CASE
        WHEN coalesce(first_legal_status IN ('V3', 'V4'), false) THEN 'short_break_start'
        WHEN period_end IS NOT NULL AND period_end <= due_date THEN 'ended_before_due'
        WHEN after_recent_assessment THEN 'recent_assessment'
    END AS excluded_because,
    due_date IS NOT NULL AND excluded_because IS NULL AS in_cohort,
    coalesce(requested_date <= request_deadline, false) AS requested_on_time,
    coalesce(
        iha_completed_date <= due_date AND (nation <> 'SCT' OR requested_date IS NOT NULL),
        false
    ) AS completed_on_time,
    delay_reason,
    after_recent_assessment
FROM dated;
