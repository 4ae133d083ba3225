-- Equality breakdowns (KPIS.md "Breakdowns"): the group of a child on a reference date, for
-- the sex:, uasc:, ethnicity: and setting: breakdowns of every rate KPI. Each macro puts every
-- child in exactly one group, so each family's cells sum to its 'all' row.
--   sex        male (SEX 1 or M), female (2 or F), unknown (U, blank or any other code)
--   uasc       yes (uasc 1); no otherwise: SSDA903 lists only the children who are UASC, so
--              a child without the flag is counted as not UASC
--   ethnicity  the five ONS groups from ETHNIC, as DfE groups them in its statistics on
--              children looked after: white (W...), mixed (M...), asian (A...), black (B...),
--              other (CHNE Chinese, OOTH any other); unknown (REFU refused, NOBT not yet
--              obtained, blank or any other code)
--   setting    the PLACE code of the episode on the date: home placed with parents (P1;
--              Scotland's "looked after at home"), kinship foster with a relative or friend
--              (U1-U3), foster other foster care (U4-U6), residential children's homes,
--              secure units, health settings and residential schools (K1, K2, K3, R1, R2, R5,
--              S1), other every other code (adoption A3-A6, independent and semi-independent
--              living H5 P2, residential employment P3, family centre R3, temporary T0-T4,
--              other Z1 Z11-Z14); unknown when the episode has no code or there is no episode
CREATE OR REPLACE MACRO staging.sex_group(sex) AS
    CASE WHEN sex IN ('1', 'M') THEN 'male' WHEN sex IN ('2', 'F') THEN 'female' ELSE 'unknown' END;

CREATE OR REPLACE MACRO staging.uasc_group(uasc) AS
    CASE WHEN uasc = 1 THEN 'yes' ELSE 'no' END;

CREATE OR REPLACE MACRO staging.ethnic_group(ethnicity) AS
    CASE
        WHEN ethnicity IN ('REFU', 'NOBT') OR ethnicity IS NULL THEN 'unknown'
        WHEN ethnicity IN ('CHNE', 'OOTH') THEN 'other'
        WHEN ethnicity LIKE 'W%' THEN 'white'
        WHEN ethnicity LIKE 'M%' THEN 'mixed'
        WHEN ethnicity LIKE 'A%' THEN 'asian'
        WHEN ethnicity LIKE 'B%' THEN 'black'
        ELSE 'unknown'
    END;

CREATE OR REPLACE MACRO staging.placement_setting(placement_type) AS
    CASE
        WHEN placement_type IS NULL THEN 'unknown'
        WHEN placement_type = 'P1' THEN 'home'
        WHEN placement_type IN ('U1', 'U2', 'U3') THEN 'kinship'
        WHEN placement_type IN ('U4', 'U5', 'U6') THEN 'foster'
        WHEN placement_type IN ('K1', 'K2', 'K3', 'R1', 'R2', 'R5', 'S1') THEN 'residential'
        ELSE 'other'
    END;
