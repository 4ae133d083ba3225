-- Warehouse layout.
--   raw      every input row as read (text), with its area, as-at date, file and row number
--   clean    the rows the data contracts accepted, typed; one table per canonical table
--   audit    validation summary, quarantine, run log, published snapshots
--   staging  models built from clean.* of each area's latest as-at extract (sql/staging)
--   marts    KPI results, unsuppressed (sql/kpis)
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS clean;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
