-- DfE's OC2 outcome measures for the year ending 31 March, per area, with the ids, numerators
-- and denominators of the published file (pipelines.dfe_statistics.HEALTH_MEASURES), so that an
-- area's figure sits line for line beside England's, its region's and its neighbours'.
--
--   cohort_all_ages, cohort_substance_misuse  OC2 children (all ages)
--   annual_health_assessment   HEALTH_ASSESSMENT = 1           of all ages
--   immunisations              IMMUNISATIONS = 1               of all ages
--   dental_check               TEETH_CHECK = 1                 of all ages
--   cohort_0_4                 aged 0 to 4 at 31 March
--   development_assessment     HEALTH_CHECK = 1 (903: health promotion / development check, under 5s) of ages 0 to 4
--   cohort_5_16                aged 5 to 16 at 31 March
--   sdq_received               SDQ_SCORE present                of ages 5 to 16
--   sdq_normal / borderline / concern   score 0–13 / 14–16 / 17–40  of those with a score
--   sdq_average_score          mean score of those with a score (numerator = sum of scores)
--   cohort_10_17, convictions  CONVICTED = 1                   of ages 10 to 17
--   substance_misuse           SUBSTANCE_MISUSE = 1            of all ages
--   substance_intervention_received / _refused   INTERVENTION_RECEIVED / INTERVENTION_OFFERED = 1
--                              of those with SUBSTANCE_MISUSE = 1
-- A blank yes/no field counts as "no" (the child stays in the denominator). A child with no
-- date of birth counts in the all-ages measures only. value: percent (0–100) for shares,
-- NULL when the denominator is 0; the count for cohorts; the mean for the SDQ average.
CREATE OR REPLACE TABLE marts.annual_measures AS
WITH counts AS (
    SELECT
        area_code,
        year,
        count(*) AS all_ages,
        count(*) FILTER (WHERE health_assessment = 1) AS health_assessment,
        count(*) FILTER (WHERE immunisations = 1) AS immunisations,
        count(*) FILTER (WHERE teeth_check = 1) AS teeth_check,
        count(*) FILTER (WHERE age BETWEEN 0 AND 4) AS ages_0_4,
        count(*) FILTER (WHERE age BETWEEN 0 AND 4 AND health_check = 1) AS development,
        count(*) FILTER (WHERE age BETWEEN 5 AND 16) AS ages_5_16,
        count(*) FILTER (WHERE age BETWEEN 5 AND 16 AND sdq_score IS NOT NULL) AS sdq_received,
        count(*) FILTER (WHERE age BETWEEN 5 AND 16 AND sdq_score BETWEEN 0 AND 13) AS sdq_normal,
        count(*) FILTER (WHERE age BETWEEN 5 AND 16 AND sdq_score BETWEEN 14 AND 16) AS sdq_borderline,
        count(*) FILTER (WHERE age BETWEEN 5 AND 16 AND sdq_score >= 17) AS sdq_concern,
        coalesce(sum(sdq_score) FILTER (WHERE age BETWEEN 5 AND 16), 0) AS sdq_total,
        count(*) FILTER (WHERE age BETWEEN 10 AND 17) AS ages_10_17,
        count(*) FILTER (WHERE age BETWEEN 10 AND 17 AND convicted = 1) AS convicted,
        count(*) FILTER (WHERE substance_misuse = 1) AS substance_misuse,
        count(*) FILTER (WHERE substance_misuse = 1 AND intervention_received = 1) AS intervention_received,
        count(*) FILTER (WHERE substance_misuse = 1 AND intervention_offered = 1) AS intervention_refused
    FROM staging.annual_oc2
    GROUP BY area_code, year
),
long AS (
    SELECT area_code, year, unnest([
        {'ord': 1,  'measure': 'cohort_all_ages',                 'unit': 'count', 'numerator': all_ages,              'denominator': NULL},
        {'ord': 2,  'measure': 'annual_health_assessment',        'unit': '%',     'numerator': health_assessment,     'denominator': all_ages},
        {'ord': 3,  'measure': 'immunisations',                   'unit': '%',     'numerator': immunisations,         'denominator': all_ages},
        {'ord': 4,  'measure': 'dental_check',                    'unit': '%',     'numerator': teeth_check,           'denominator': all_ages},
        {'ord': 5,  'measure': 'cohort_0_4',                      'unit': 'count', 'numerator': ages_0_4,              'denominator': NULL},
        {'ord': 6,  'measure': 'development_assessment',          'unit': '%',     'numerator': development,           'denominator': ages_0_4},
        {'ord': 7,  'measure': 'cohort_5_16',                     'unit': 'count', 'numerator': ages_5_16,             'denominator': NULL},
        {'ord': 8,  'measure': 'sdq_received',                    'unit': '%',     'numerator': sdq_received,          'denominator': ages_5_16},
        {'ord': 9,  'measure': 'sdq_normal',                      'unit': '%',     'numerator': sdq_normal,            'denominator': sdq_received},
        {'ord': 10, 'measure': 'sdq_borderline',                  'unit': '%',     'numerator': sdq_borderline,        'denominator': sdq_received},
        {'ord': 11, 'measure': 'sdq_concern',                     'unit': '%',     'numerator': sdq_concern,           'denominator': sdq_received},
        {'ord': 12, 'measure': 'sdq_average_score',               'unit': 'score', 'numerator': sdq_total,             'denominator': sdq_received},
        {'ord': 13, 'measure': 'cohort_10_17',                    'unit': 'count', 'numerator': ages_10_17,            'denominator': NULL},
        {'ord': 14, 'measure': 'convictions',                     'unit': '%',     'numerator': convicted,             'denominator': ages_10_17},
        {'ord': 15, 'measure': 'cohort_substance_misuse',         'unit': 'count', 'numerator': all_ages,              'denominator': NULL},
        {'ord': 16, 'measure': 'substance_misuse',                'unit': '%',     'numerator': substance_misuse,      'denominator': all_ages},
        {'ord': 17, 'measure': 'substance_intervention_received', 'unit': '%',     'numerator': intervention_received, 'denominator': substance_misuse},
        {'ord': 18, 'measure': 'substance_intervention_refused',  'unit': '%',     'numerator': intervention_refused,  'denominator': substance_misuse}
    ], recursive := true)
    FROM counts
)
SELECT
    area_code,
    year,
    ord,
    measure,
    CAST(numerator AS BIGINT) AS numerator,
    CAST(denominator AS BIGINT) AS denominator,
    CASE
        WHEN unit = 'count' THEN CAST(numerator AS DOUBLE)
        WHEN denominator > 0 AND unit = '%' THEN 100.0 * numerator / denominator
        WHEN denominator > 0 THEN CAST(numerator AS DOUBLE) / denominator
    END AS value
FROM long;
