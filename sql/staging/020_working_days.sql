-- Working days of each nation, keyed by position, for add_wd.
--
-- staging.calendar (nation, day, is_working_day, wd_index) comes from
-- pipelines.calendar.calendar_frame: wd_index counts working days up to and including
-- the day. So, exactly as KPIS.md defines them:
--   wd_between(a, b) = wd_index(b) − wd_index(a)        (working days in (a, b])
--   add_wd(d, n)     = the row of this table with wd_index = wd_index(d) + n
--                      (the n-th working day strictly after d)
-- Models compute both with equi-joins on (nation, day) and (nation, wd_index).
CREATE OR REPLACE TABLE staging.working_days AS
SELECT nation, wd_index, day
FROM staging.calendar
WHERE is_working_day;
