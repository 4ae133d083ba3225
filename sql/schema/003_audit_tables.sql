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
-- One row per as-at extract ingested: accepted extracts feed the KPIs, refused ones do not.
CREATE TABLE IF NOT EXISTS audit.extracts (
    area_code VARCHAR, as_at DATE, status VARCHAR, message VARCHAR
);
-- Each accepted table of an extract: the form it came in, 'ssda903' (903 column names, or
-- the XML return) or 'canonical' (annual SSDA903 returns are stitched into one history:
-- sql/staging/004_history_extracts.sql), and the optional columns its file did not have
-- (comma-separated; a KPI that reads one is not available: 005_table_coverage.sql).
CREATE TABLE IF NOT EXISTS audit.extract_tables (
    area_code VARCHAR, as_at DATE, file VARCHAR, table_name VARCHAR, source_format VARCHAR,
    columns_not_supplied VARCHAR
);
-- KPI results as published from each as-at extract (unsuppressed): one snapshot per area and
-- as-at date, replaced when the same extract is rerun, so reruns are idempotent. The first
-- snapshot of a figure is "as first published"; a later extract's figure for the same quarter
-- is its restatement (late recording is common).
CREATE TABLE IF NOT EXISTS audit.kpi_snapshots (
    run_id VARCHAR, area_code VARCHAR, as_at DATE, quarter VARCHAR, kpi_id VARCHAR, breakdown VARCHAR,
    numerator BIGINT, denominator BIGINT, value DOUBLE
);
-- One row per published run: which extracts it used. run_id is a digest of its inputs, so
-- rerunning the same extracts with the same code gives the same id.
CREATE TABLE IF NOT EXISTS audit.runs (
    run_id VARCHAR, extracts VARCHAR, report_quarter VARCHAR, lac_health_version VARCHAR, holidays_version VARCHAR
);
