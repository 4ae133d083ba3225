"""Dagster assets, one module per stage of the business process: ingest → KPIs → reports."""
