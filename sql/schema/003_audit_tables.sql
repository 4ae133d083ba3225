-- Validation results and run bookkeeping. Column sets follow OUTPUTS.md.
CREATE TABLE IF NOT EXISTS audit.validation_summary (
    area_code VARCHAR, as_at DATE, file VARCHAR, "table" VARCHAR,
    rows_in INTEGER, rows_accepted INTEGER, rows_quarantined INTEGER,
    status VARCHAR,   -- accepted / refused
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.quarantine (
    area_code VARCHAR, as_at DATE, file VARCHAR, row_number INTEGER,
    "column" VARCHAR, rule_code VARCHAR, message VARCHAR
);
