-- Each episode with the period of care it belongs to (EXTRACTS.md: a period of care is a
-- run of a child's episodes that begins with RNE S and ends with the first episode whose
-- REC is not X1).
--
-- An episode starts a new period when
--   * its RNE is S, or
--   * it is the child's first episode in the extract (extracts that start mid-period, as
--     SSDA903 files do, begin with an episode whose RNE is not S: those episodes form a
--     period starting at the first episode's start; staging.periods_of_care marks its start
--     as not known, because the child came into care earlier), or
--   * the episode before it ended the previous period (an ended episode whose REC is not X1;
--     a blank REC on an ended episode counts as ending it). The child left care and came back,
--     so a new period starts even if its RNE was miscoded.
-- period_seq numbers a child's periods 1, 2, ... in date order.
CREATE OR REPLACE TABLE staging.episode_periods AS
WITH ordered AS (
    SELECT
        e.*,
        row_number() OVER w AS episode_seq,
        lag(e.episode_end IS NOT NULL AND coalesce(e.rec, '') <> 'X1') OVER w AS after_period_end
    FROM staging.episodes AS e
    WINDOW w AS (
        PARTITION BY e.child_key
        ORDER BY e.episode_start, e.episode_end NULLS LAST, e.file, e.row_number
    )
),
flagged AS (
    SELECT
        *,
        (coalesce(rne = 'S', false) OR episode_seq = 1 OR coalesce(after_period_end, false))
            AS starts_period,
        (episode_end IS NOT NULL AND coalesce(rec, '') <> 'X1') AS ends_period
    FROM ordered
)
SELECT
    *,
    CAST(sum(CAST(starts_period AS INTEGER)) OVER (
        PARTITION BY child_key ORDER BY episode_seq
    ) AS INTEGER) AS period_seq
FROM flagged;
