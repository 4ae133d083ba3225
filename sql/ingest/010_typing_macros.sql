-- Typing extract text in DuckDB: the macros the typing SQL compiled from the data contracts
-- (pipelines/contracts/typed_sql.py) calls. Definitions (EXTRACTS.md, pipelines/readers/dates.py,
-- pipelines/contracts/typed.py, which stay the reference implementation a test compares with):
--
-- * a date is ISO YYYY-MM-DD or UK D/M/YYYY (one- or two-digit day and month), either with an
--   optional time of day [ T]HH:MM[:SS[.fraction]]: the time must be a real time (hour <= 23,
--   minute and second <= 59) and is dropped; the year must be 1 or later; an impossible day
--   (31/02/2024) is an error, never rolled over; with month precision (date of birth) also
--   YYYY-MM and M/YYYY, taken as the 1st of the month. Anything else is an error: US order,
--   two-digit years, serial numbers, other separators. Blank text is "not known" (NULL), not an
--   error: the callers test for '' before calling these.
-- * an integer is [+-]?[0-9]{1,15}, a flag [01], a decimal [+-]?(digits[.digits]|.digits):
--   no thousands separators, no exponent, no 12.5 as an integer.
-- The patterns are the readers' own, written for RE2 (which DuckDB uses): both anchor at the
-- whole text, so a value accepted by one is accepted by the other.

-- The optional time of day after a date: absent ('') or a real time (seconds optional).
CREATE OR REPLACE MACRO lac_time_ok(hh, mi, ss) AS
    hh = '' OR (TRY_CAST(hh AS INTEGER) <= 23 AND TRY_CAST(mi AS INTEGER) <= 59 AND (ss = '' OR TRY_CAST(ss AS INTEGER) <= 59));

-- What follows the date part: '' or [ T]HH:MM[:SS[.fraction]] (checked by the full pattern).
CREATE OR REPLACE MACRO lac_time_part(rest) AS
    lac_time_ok(substr(rest, 2, 2), substr(rest, 5, 2), substr(rest, 8, 2));

-- A day from year, month and day text: NULL when impossible (31 February, month 13, year 0).
CREATE OR REPLACE MACRO lac_make_day(y, mo, d) AS
    CASE WHEN TRY_CAST(y AS INTEGER) >= 1 AND TRY_CAST(mo AS INTEGER) BETWEEN 1 AND 12 AND TRY_CAST(d AS INTEGER) >= 1
         THEN TRY(make_date(CAST(y AS BIGINT), CAST(mo AS BIGINT), CAST(d AS BIGINT))) END;

-- ISO YYYY-MM-DD[time]: the date part is the first ten characters.
CREATE OR REPLACE MACRO lac_iso_day(t) AS
    CASE WHEN regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?')
              AND lac_time_part(substr(t, 11))
         THEN lac_make_day(substr(t, 1, 4), substr(t, 6, 2), substr(t, 9, 2)) END;

-- UK D/M/YYYY[time]: day and month one or two digits.
CREATE OR REPLACE MACRO lac_uk_day(t) AS
    CASE WHEN regexp_full_match(t, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?')
              AND lac_time_part(substr(split_part(t, '/', 3), 5))
         THEN lac_make_day(substr(split_part(t, '/', 3), 1, 4), split_part(t, '/', 2), split_part(t, '/', 1)) END;

-- A date of day precision, or NULL (blank or not a date). The two patterns cannot both match.
CREATE OR REPLACE MACRO lac_parse_day(t) AS coalesce(lac_iso_day(t), lac_uk_day(t));

-- A date where month precision is allowed too (YYYY-MM, M/YYYY: the 1st of the month).
CREATE OR REPLACE MACRO lac_parse_month_or_day(t) AS
    CASE
        WHEN regexp_full_match(t, '[0-9]{4}-[0-9]{2}') THEN lac_make_day(substr(t, 1, 4), substr(t, 6, 2), '1')
        WHEN regexp_full_match(t, '[0-9]{1,2}/[0-9]{4}') THEN lac_make_day(split_part(t, '/', 2), split_part(t, '/', 1), '1')
        ELSE lac_parse_day(t)
    END;
