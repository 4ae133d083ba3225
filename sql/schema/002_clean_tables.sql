-- The typed, accepted rows of each canonical table (EXTRACTS.md). Every table carries the
-- extract it came from: area_code (ONS code of the responsible authority), as_at (the
-- extract's as-at date), file (file name within the as-at folder) and row_number (the row
-- in that file, counting the header as row 1, as a spreadsheet does).
CREATE TABLE IF NOT EXISTS clean.children (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    child_id VARCHAR NOT NULL,
    sex VARCHAR,                    -- '1' male, '2' female
    date_of_birth DATE NOT NULL,
    ethnicity VARCHAR,
    uasc INTEGER                    -- 0/1, NULL = not known
);
CREATE TABLE IF NOT EXISTS clean.episodes (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    child_id VARCHAR NOT NULL,
    episode_start DATE NOT NULL,
    episode_end DATE,               -- NULL while open
    reason_new_episode VARCHAR,     -- RNE
    legal_status VARCHAR,           -- LS
    placement_type VARCHAR,         -- PLACE
    placement_provider VARCHAR,     -- PLACE_PROVIDER
    reason_episode_ceased VARCHAR,  -- REC
    placement_area_code VARCHAR,    -- NULL = not known
    placement_distance_miles DOUBLE -- NULL = not known
);
CREATE TABLE IF NOT EXISTS clean.health_assessments (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    assessment_id VARCHAR NOT NULL,
    child_id VARCHAR NOT NULL,
    assessment_type VARCHAR NOT NULL, -- IHA / RHA
    requested_date DATE,
    completed_date DATE,
    status VARCHAR NOT NULL,
    delay_reason VARCHAR,
    provider_area_code VARCHAR
);
CREATE TABLE IF NOT EXISTS clean.gp_registrations (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    child_id VARCHAR NOT NULL,
    practice_code VARCHAR,
    registration_type VARCHAR,      -- permanent / temporary
    registered_from DATE NOT NULL,
    registered_to DATE
);
CREATE TABLE IF NOT EXISTS clean.camhs_referrals (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    referral_id VARCHAR NOT NULL,
    child_id VARCHAR NOT NULL,
    referral_date DATE NOT NULL,
    referral_outcome VARCHAR,
    first_contact_date DATE,
    closed_date DATE,
    provider_area_code VARCHAR
);
CREATE TABLE IF NOT EXISTS clean.sdq (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    child_id VARCHAR NOT NULL,
    sdq_date DATE NOT NULL,
    sdq_score INTEGER NOT NULL
);
-- SSDA903 OC2 as returned to DfE (903 column names, lower-cased); yes/no fields 0/1.
CREATE TABLE IF NOT EXISTS clean.oc2 (
    area_code VARCHAR NOT NULL, as_at DATE NOT NULL, file VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    child_id VARCHAR NOT NULL,
    date_of_birth DATE,
    sdq_score INTEGER,
    sdq_reason VARCHAR,
    convicted INTEGER,
    health_check INTEGER,
    immunisations INTEGER,
    teeth_check INTEGER,
    health_assessment INTEGER,
    substance_misuse INTEGER,
    intervention_received INTEGER,
    intervention_offered INTEGER
);
