"""The SQL models of sql/staging and sql/kpis as assets: one per file, wired by the tables each reads.

Each file's asset key is its name without the order prefix (``sql/staging/030_episode_periods.sql``
→ ``staging/episode_periods``; ``sql/kpis/010_iha.sql`` → ``kpis/iha``; the final mart,
``900_kpi_results.sql``, keeps the key ``kpi_results``). Its description is the file's header
comment, and its upstream assets are the files that create the tables it reads (``clean.<table>``
→ the clean table of that contract), so the graph is derived from the SQL, never kept by hand.
The files run in order in one step (``compute_kpis``): they share temporary tables and one
DuckDB writer, so the assets are one materialisation unit and cannot be run apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.assets.keys import CONTRACT_TABLES, KPI_RESULTS, clean_table_key
from pipelines.paths import SQL_DIR

_CREATES = re.compile(r"\bCREATE\s+OR\s+REPLACE\s+(?:TEMP\s+)?(?:TABLE|VIEW)\s+([a-z_]+\.[a-z_0-9]+)", re.I)
_READS = re.compile(r"\b((?:staging|marts|clean)\.[a-z_0-9]+)\b", re.I)
_ORDER_PREFIX = re.compile(r"^[0-9]+_")


@dataclass(frozen=True)
class SqlModel:
    key: dg.AssetKey
    path: Path
    description: str
    creates: tuple[str, ...]  # schema.table of every table or view the file creates
    reads: tuple[str, ...]  # schema.table of every table it reads that it does not create


def _without_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def _header(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines).strip()


def _model(path: Path, prefix: str) -> SqlModel:
    sql = path.read_text(encoding="utf-8")
    body = _without_comments(sql)
    creates = tuple(dict.fromkeys(name.lower() for name in _CREATES.findall(body)))
    reads = tuple(dict.fromkeys(name.lower() for name in _READS.findall(body) if name.lower() not in creates))
    name = _ORDER_PREFIX.sub("", path.stem)
    key = KPI_RESULTS if name == KPI_RESULTS.path[-1] else dg.AssetKey([prefix, name])
    return SqlModel(key, path, _header(sql) or f"{path.name}", creates, reads)


def sql_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """The staging models, then the KPI families, in the order they run."""
    return [_model(path, folder) for folder in ("staging", "kpis") for path in sorted((sql_dir / folder).glob("*.sql"))]


# The UNION of every KPI family's facts view (kpi_catalogue.facts_union_sql), read by 900.
FACTS_UNION = "staging.kpi_facts"


def model_deps(model: SqlModel, models: list[SqlModel]) -> list[dg.AssetKey]:
    """The assets ``model`` reads from: earlier models that create its tables, and clean tables."""
    creators = {table: m.key for m in models for table in m.creates}
    deps = []
    for table in model.reads:
        schema, name = table.split(".")
        if schema == "clean" and name in CONTRACT_TABLES:
            deps.append(clean_table_key(name))
        elif table in creators and creators[table] != model.key:
            deps.append(creators[table])
        elif table == FACTS_UNION:  # made in pipelines/kpis.py from every KPI file's facts view
            deps.extend(key for view, key in creators.items() if view.startswith(FACTS_UNION + "_"))
    return list(dict.fromkeys(deps))
