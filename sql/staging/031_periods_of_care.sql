-- Periods of care, one row per child and period (EXTRACTS.md; KPIS.md: "Its start is the
-- DECOM of the RNE=S episode").
--
-- period_start   the first episode's start.
-- period_end     the episode_end of the episode that ended the period (first REC not X1);
--                NULL while the period is open. When a new RNE S episode follows without
--                the previous period having been ended (a miscoded REC X1), the previous
--                period ends where its last episode ended (or where the new one starts).
-- start_known    false for a period that was already running when the extract begins (its
--                first episode's RNE is not S and it is the child's first period in the
--                extract): its true start, and so its IHA due date, lie before the data.
--                Such periods are left out of the IHA cohort; the snapshot KPIs still use
--                them (the child is looked after), with period_start = the first episode's
--                start as the best known start (an upper bound of the true one).
-- first_legal_status  LS of the first episode (a period that began on V3/V4 is not in the
--                IHA cohort).
CREATE OR REPLACE TABLE staging.periods_of_care AS
WITH grouped AS (
    SELECT
        child_key,
        area_code,
        child_id,
        period_seq,
        min(episode_start) AS period_start,
        arg_min_null(rne, episode_seq) AS first_rne,
        arg_min_null(legal_status, episode_seq) AS first_legal_status,
        arg_max_null(episode_end, episode_seq) AS last_episode_end,
        arg_max_null(ends_period, episode_seq) AS last_episode_ends_period,
        count(*) AS episodes
    FROM staging.episode_periods
    GROUP BY child_key, area_code, child_id, period_seq
),
with_next AS (
    SELECT
        *,
        lead(period_start) OVER (PARTITION BY child_key ORDER BY period_seq)
            AS next_period_start
    FROM grouped
)
SELECT
    child_key,
    area_code,
    child_id,
    period_seq,
    period_start,
    CASE
        WHEN last_episode_ends_period THEN last_episode_end
        WHEN next_period_start IS NOT NULL THEN coalesce(last_episode_end, next_period_start)
    END AS period_end,
    (coalesce(first_rne = 'S', false) OR period_seq > 1) AS start_known,
    first_legal_status,
    episodes
FROM with_next;
