"""A KPI is declared once (issue 18): the ``-- kpis:`` block of its SQL file.

The catalogue, staging.kpi_inputs (availability), the UNION counted by 900_kpi_results.sql,
the charts' KPI lists and the DfE counterparts all follow from those blocks. The slow test
adds a throwaway KPI to a copy of the project by writing one SQL file and runs the demo
from that copy: the KPI reaches kpis.csv and every report is still written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.kpi_catalogue import (
    KPIS,
    KpiDeclarationError,
    declaration_block,
    facts_union_sql,
    kpis_in_chart,
    load_catalogue,
    published_counterparts,
    read_declarations,
)
from pipelines.paths import PROJECT_ROOT, SQL_DIR

# The one file a new KPI needs to run (docs/how-to.md adds its plain-words entry in
# docs/kpis.md and a hand-worked test: three files).
THROWAWAY_SQL = """\
-- OOA99 (a throwaway KPI for tests/kpis/test_kpi_declared_once.py): children looked after at
-- quarter end, counted. Reference date: qe.
--
-- kpis:
--   OOA99:
--     name: Looked after at quarter end
--     family: OOA
--     unit: count
--     polarity: context
--     reference_date: quarter end
--     definition: >-
--       The number of children in care on the last day of the quarter.
CREATE OR REPLACE VIEW staging.kpi_facts_throwaway AS
SELECT c.area_code, q.quarter_id AS quarter, 'OOA99' AS kpi_id, c.child_key, c.ref_date,
       c.placement, c.age_band, true AS hit, CAST(NULL AS DOUBLE) AS measure
FROM staging.child_on_date AS c
JOIN staging.quarters AS q ON q.qe = c.ref_date
WHERE c.looked_after AND NOT c.short_break;
"""


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_declarations_are_the_catalogue_in_kpis_md_order() -> None:
    assert load_catalogue() == KPIS
    assert [definition.id for definition in KPIS][:4] == ["IHA01", "IHA02", "IHA03", "IHA04"]
    assert KPIS[-1].id == "OOA02"
    assert kpis_in_chart("spc") == ("IHA02", "RHA01")
    assert published_counterparts() == {"HA01": "annual_health_assessment", "SDQ01": "sdq_received",
                                        "SDQ02": "sdq_concern", "OOA02": "placed_over_20_miles"}
    iha04 = next(definition for definition in KPIS if definition.id == "IHA04")
    assert (iha04.needs_table, iha04.looks_from, iha04.facts_view) == (
        "health_assessments", "qe", "staging.kpi_facts_iha")
    assert next(d for d in KPIS if d.id == "OOA01").needs_table == "episodes.placement_area_code"


def test_the_union_names_each_facts_view_once_in_file_order() -> None:
    sql = facts_union_sql()
    assert sql.startswith("CREATE OR REPLACE VIEW staging.kpi_facts AS\nSELECT * FROM staging.kpi_facts_iha\n")
    assert sql.count("staging.kpi_facts_") == 7 and sql.count("kpi_facts_iha") == 1


def test_block_is_the_comment_lines_from_kpis_to_the_first_statement() -> None:
    text = "-- prose\n--\n-- kpis:\n--   A01:\n--     name: x\n--\nSELECT 1;\n-- kpis: later\n"
    assert declaration_block(text) == "kpis:\n  A01:\n    name: x\n\n"
    assert declaration_block("-- no block\nSELECT 1;\n") is None


def test_a_file_without_a_block_declares_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "kpis", "080_other.sql", "-- a helper table\nCREATE TABLE t AS SELECT 1;\n")
    assert read_declarations(path, tmp_path) == ()


def test_the_throwaway_declaration_reads_as_a_definition(tmp_path: Path) -> None:
    [definition] = read_declarations(_write(tmp_path / "kpis", "075_throwaway.sql", THROWAWAY_SQL),
                                     tmp_path)
    assert definition.id == "OOA99" and definition.unit == "count" and definition.polarity == "context"
    assert definition.sql_file == "sql/kpis/075_throwaway.sql"
    assert definition.facts_view == "staging.kpi_facts_throwaway"
    assert definition.definition == "The number of children in care on the last day of the quarter."
    assert definition.charts == () and definition.needs_table is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("unit: count", "unit: percent"), "unit 'percent' is not one of %, days, count"),
        (("family: OOA", "family: XYZ"), "family 'XYZ' is not one of IHA"),
        (("--     polarity: context\n", ""), "missing polarity"),
        (("OOA99:", "ooa99:"), "capital letters and two digits"),
        (("reference_date:", "ref_date:"), "unknown field(s) ref_date; missing reference_date"),
        (("reference_date: quarter end", "reference_date: quarter end\n--     charts: [pie]"),
         "charts 'pie' is not one of equity, spc"),
        (("reference_date: quarter end", "reference_date: quarter end\n--     needs: {table: oc2, from: qe}"),
         "needs.table 'oc2'"),
        (("CREATE OR REPLACE VIEW staging.kpi_facts_throwaway", "CREATE OR REPLACE VIEW staging.other"),
         "exactly one view staging.kpi_facts_<name> (found 0)"),
        (("--     name:", "--   name:"), "075_throwaway.sql"),
    ],
)
def test_a_malformed_declaration_names_the_file_and_the_fix(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path / "kpis", "075_throwaway.sql", THROWAWAY_SQL.replace(*change))
    with pytest.raises(KpiDeclarationError, match=r"075_throwaway\.sql") as raised:
        read_declarations(path, tmp_path)
    assert message in str(raised.value)


def test_an_id_declared_twice_is_refused(tmp_path: Path) -> None:
    kpis = tmp_path / "kpis"
    _write(kpis, "075_a.sql", THROWAWAY_SQL)
    _write(kpis, "076_b.sql", THROWAWAY_SQL.replace("kpi_facts_throwaway", "kpi_facts_again"))
    with pytest.raises(KpiDeclarationError, match=r"OOA99 is declared twice: sql/kpis/075_a\.sql and "):
        load_catalogue(kpis)


@pytest.mark.slow
def test_a_kpi_added_in_one_sql_file_reaches_kpis_csv(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    for name in ("pipelines", "reports", "sql", "data_contracts", "config"):
        shutil.copytree(PROJECT_ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    # The whole change: one new SQL file beside the others.
    _write(copy / SQL_DIR.relative_to(PROJECT_ROOT) / "kpis", "075_throwaway.sql", THROWAWAY_SQL)

    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(copy)  # ahead of the editable install's finder
    program = (
        "import sys, pipelines; assert pipelines.__file__.startswith(sys.argv[1]), pipelines.__file__; "
        "from pipelines.cli import main; "
        "sys.exit(main(['--quiet', 'demo', '--out', sys.argv[2], '--areas', '2', '--quarters', '2', "
        "'--children', '40']))"
    )
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-c", program, str(copy), str(out)], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    kpis = pd.read_csv(out / "kpis.csv")
    added = kpis[(kpis["kpi_id"] == "OOA99") & (kpis["breakdown"] == "all")]
    ooa01 = kpis[(kpis["kpi_id"] == "OOA01") & (kpis["breakdown"] == "all")]
    # One row for each area and quarter the run computed, as for any KPI.
    assert sorted(zip(added["area_code"], added["quarter"], strict=True)) == sorted(
        zip(ooa01["area_code"], ooa01["quarter"], strict=True))
    assert added["area_code"].nunique() == 2
    assert set(added["kpi_name"]) == {"Looked after at quarter end"}
    assert set(added["unit"]) == {"count"}
    assert added["value"].notna().all() and (added["value"] > 0).all()
    assert list(out.glob("report-*.html")) and list(out.glob("report-*.xlsx"))
    assert "Looked after at quarter end" in next(out.glob("report-*.html")).read_text(encoding="utf-8")
