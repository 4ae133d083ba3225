"""Performance benchmark of the whole refresh (``python -m benchmarks.run``, ``make bench``).

It generates extracts with the project's own synthetic generator at a named scale, runs
``lac-health run`` on them stage by stage in a separate process, and measures two reference
points on the same files: the floor (DuckDB reading the CSV files and nothing else) and a
plain pandas baseline of four KPIs. docs/scaling.md explains the results.
"""
