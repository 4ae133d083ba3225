-- staging.history_extracts: the extracts whose children and episodes form each area's care
-- history (EXTRACTS.md "Several annual SSDA903 returns of one area form one history").
--
-- An SSDA903 return holds only the episodes open during its collection year (1 April to
-- 31 March), so an area that sends its annual returns has its history spread over them.
-- An extract is *return-shaped* when its episodes came in the 903 form (903 column names or
-- the XML return: audit.extract_tables), its as-at date is a 31 March and none of its
-- episodes ended before 1 April of the year before. A case-management extract (canonical
-- columns, or a history with older episodes) is never stitched: the latest replaces the
-- earlier ones.
--
-- When the chosen extract (staging.extracts) is return-shaped, the area's earlier
-- return-shaped extracts back to the most recent one that is not return-shaped join it:
--   * the chosen extract gives every one of its rows (keep_ended_before NULL);
--   * an earlier return gives only the episodes that ended before the collection year of
--     the next later return in the chain (keep_ended_before = that year's 1 April): a later
--     return replaces an earlier one for the dates both cover;
--   * a child in several returns takes its children row from the latest (rank 1).
-- Otherwise the chosen extract alone is the history, as before. return_shaped tells
-- 005_table_coverage.sql where a stitched history begins (its first collection year).
CREATE OR REPLACE TABLE staging.history_extracts AS
WITH shapes AS (
    SELECT
        e.area_code,
        e.as_at,
        strftime(e.as_at, '%m-%d') = '03-31'
        AND bool_and(e.episode_end IS NULL OR e.episode_end >= make_date(year(e.as_at) - 1, 4, 1))
        AND EXISTS (
            SELECT 1 FROM audit.extract_tables AS t
            WHERE t.area_code = e.area_code AND t.as_at = e.as_at
              AND t.table_name = 'episodes' AND t.source_format = 'ssda903'
        ) AS return_shaped
    FROM clean.episodes AS e
    GROUP BY e.area_code, e.as_at
),
chosen AS (
    SELECT x.area_code, x.as_at, coalesce(s.return_shaped, FALSE) AS return_shaped
    FROM staging.extracts AS x
    LEFT JOIN shapes AS s USING (area_code, as_at)
),
earlier AS (
    SELECT s.area_code, s.as_at
    FROM shapes AS s
    JOIN chosen AS c ON c.area_code = s.area_code AND s.as_at < c.as_at
    WHERE c.return_shaped AND s.return_shaped
      AND NOT EXISTS (
          SELECT 1 FROM shapes AS w
          WHERE w.area_code = s.area_code AND NOT w.return_shaped AND w.as_at > s.as_at AND w.as_at < c.as_at
      )
),
chain AS (
    SELECT area_code, as_at, TRUE AS is_chosen, return_shaped FROM chosen
    UNION ALL
    SELECT area_code, as_at, FALSE, TRUE FROM earlier
)
SELECT
    area_code,
    as_at,
    return_shaped,
    CASE WHEN is_chosen THEN NULL
         ELSE make_date(year(lead(as_at) OVER (PARTITION BY area_code ORDER BY as_at)) - 1, 4, 1)
    END AS keep_ended_before,
    CAST(row_number() OVER (PARTITION BY area_code ORDER BY as_at DESC) AS INTEGER) AS recency_rank
FROM chain;
