"""KPI packs (pipelines.packs): round trip, the documented checksum, and every refusal."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.errors import UserFacingError
from pipelines.packs import (
    KEY_COLUMNS,
    META_CHECKSUM,
    PACK_COLUMNS,
    PackError,
    combine_packs,
    combine_with_local,
    export_pack,
    export_packs,
    pack_file_name,
    read_pack,
    read_packs_dir,
    rows_checksum,
)

BIRMINGHAM, COVENTRY = "E08000025", "E08000026"


def _row(
    area: str,
    quarter: str,
    kpi_id: str = "IHA02",
    breakdown: str = "all",
    x: int | None = 40,
    n: int | None = 50,
    suppressed: bool = False,
    unit: str = "%",
) -> dict:
    shown = not suppressed
    return {
        "area_code": area, "area_name": {BIRMINGHAM: "Birmingham", COVENTRY: "Coventry"}.get(area, area),
        "quarter": quarter, "kpi_id": kpi_id, "kpi_name": "IHA completed within 20 working days",
        "breakdown": breakdown, "numerator": x if shown else None, "denominator": n if shown else None,
        "value": (100 * x / n if unit == "%" else float(x)) if shown else None,
        "ci_lower": 66.9 if shown and unit == "%" else None, "ci_upper": 88.8 if shown and unit == "%" else None,
        "unit": unit, "polarity": "high", "target": 80.0, "suppressed": suppressed,
        "symbol": "c" if suppressed else "", "reason": "", "source": "", "as_at": date(2025, 1, 31),
    }  # fmt: skip


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=PACK_COLUMNS)
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    for column in ("value", "ci_lower", "ci_upper", "target"):
        frame[column] = frame[column].astype("Float64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame


@pytest.fixture
def kpis() -> pd.DataFrame:
    rows = []
    for area in (BIRMINGHAM, COVENTRY):
        for quarter in ("2024-25-Q2", "2024-25-Q3"):
            rows.append(_row(area, quarter))
            rows.append(_row(area, quarter, breakdown="placement:OUT", x=12, n=20))
            # two suppressed cells of the placement family: neither recoverable from the total
            rows.append(_row(area, quarter, breakdown="placement:IN", suppressed=True))
            rows.append(_row(area, quarter, breakdown="placement:UNKNOWN", suppressed=True))
            rows.append(_row(area, quarter, kpi_id="IHA04", x=0, n=None, unit="count"))
    return _frame(rows)


def _rewrite(path: Path, table: pa.Table, metadata: dict[bytes, bytes]) -> None:
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _metadata(path: Path) -> dict[bytes, bytes]:
    return {k: v for k, v in pq.ParquetFile(path).metadata.metadata.items() if k != b"ARROW:schema"}


# --- round trip ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_row_and_type(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "birmingham.parquet")
    pack = read_pack(path)
    expected = kpis[kpis["area_code"] == BIRMINGHAM].sort_values(
        list(KEY_COLUMNS), ignore_index=True
    )
    pd.testing.assert_frame_equal(pack.frame, expected)
    assert pack.area_code == BIRMINGHAM
    assert pack.schema_version == "2"
    assert pack.created_by == "lac-health 0.1.0"
    assert pack.row_count == 10
    assert pack.quarters == ("2024-25-Q2", "2024-25-Q3")
    assert [p.name for p in tmp_path.iterdir()] == ["birmingham.parquet"], (
        "no temporary file left behind"
    )


def test_metadata_holds_the_documented_keys(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    metadata = {k.decode(): v.decode() for k, v in _metadata(path).items()}
    assert metadata == {
        "lac_health_pack_schema_version": "2",
        "area_code": BIRMINGHAM,
        "created_by": "lac-health 0.1.0",
        "row_count": "10",
        "rows_sha256": metadata["rows_sha256"],
        "quarters": "2024-25-Q2,2024-25-Q3",
    }
    assert len(metadata["rows_sha256"]) == 64


def test_checksum_follows_the_documented_serialisation(tmp_path):
    """A one-row pack's canonical bytes written out by hand from docs/kpi-pack-schema.md.

    80.0 is 0x4054000000000000 as an IEEE-754 double, 66.9 is 0x4050b9999999999a, 88.8 is
    0x4056333333333333; "IHA completed within 20 working days" is 36 bytes of UTF-8.
    """
    row = _row(BIRMINGHAM, "2024-25-Q3")
    path = export_pack(_frame([row]), BIRMINGHAM, tmp_path / "one.parquet")
    canonical = (
        b"lac-health-pack-v2\n"
        b"s9:E08000025,s10:Birmingham,s10:2024-25-Q3,s5:IHA02,s36:IHA completed within 20 working days,s3:all,"
        b"i40,i50,f4054000000000000,f4050b9999999999a,f4056333333333333,s1:%,s4:high,f4054000000000000,"
        b"b0,s0:,s0:,s0:,d2025-01-31\n"
    )
    assert _metadata(path)[META_CHECKSUM.encode()].decode() == hashlib.sha256(canonical).hexdigest()


def test_checksum_ignores_row_order_and_minus_zero(tmp_path, kpis):
    rows = kpis[kpis["area_code"] == BIRMINGHAM]
    first = read_pack(export_pack(rows, BIRMINGHAM, tmp_path / "a.parquet")).checksum
    shuffled = rows.iloc[::-1].copy()
    shuffled.loc[shuffled["kpi_id"] == "IHA04", "value"] = -0.0
    assert read_pack(export_pack(shuffled, BIRMINGHAM, tmp_path / "b.parquet")).checksum == first


def test_combine_and_read_a_folder(tmp_path, kpis):
    paths = export_packs(kpis, tmp_path)
    assert [p.name for p in paths] == [pack_file_name(BIRMINGHAM), pack_file_name(COVENTRY)]
    combined = combine_packs(paths)
    expected = kpis.sort_values(list(KEY_COLUMNS), ignore_index=True)
    pd.testing.assert_frame_equal(combined, expected)
    pd.testing.assert_frame_equal(read_packs_dir(tmp_path), expected)


# --- refusals -----------------------------------------------------------------------------------


def test_tampered_rows_are_refused(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    table = pq.read_table(path)
    numerators = table.column("numerator").to_pylist()
    numerators[0] = numerators[0] + 1 if numerators[0] is not None else 1
    tampered = table.set_column(
        PACK_COLUMNS.index("numerator"), "numerator", pa.array(numerators, pa.int64())
    )
    _rewrite(path, tampered, _metadata(path))
    with pytest.raises(PackError, match="checksum mismatch: the rows were changed"):
        read_pack(path)


def test_tampered_checksum_is_refused(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    metadata = _metadata(path)
    metadata[META_CHECKSUM.encode()] = b"0" * 64
    _rewrite(path, pq.read_table(path), metadata)
    with pytest.raises(PackError, match="checksum mismatch"):
        read_pack(path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.set_column(6, pa.field("numerator", pa.float64()), t.column("numerator").cast(pa.float64())),
     r"column numerator is stored as DOUBLE/None; a pack stores it as INT64/None"),
    (lambda t: t.drop_columns(["target"]), r"columns are .*; a version 2 pack has exactly"),
    (lambda t: t.append_column("child_id", pa.array(["c1"] * t.num_rows)), r"columns are .*child_id"),
    (lambda t: t.select([*PACK_COLUMNS[1:], PACK_COLUMNS[0]]), r"in that order"),
    (lambda t: t.set_column(18, pa.field("as_at", pa.string()), pa.array(["2025-01-31"] * t.num_rows)),
     r"column as_at is stored as BYTE_ARRAY/String; a pack stores it as INT32/Date"),
])  # fmt: skip
def test_a_wrong_schema_is_refused(tmp_path, kpis, change, message):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    _rewrite(path, change(pq.read_table(path)), _metadata(path))
    with pytest.raises(PackError, match=message):
        read_pack(path)


def test_another_schema_version_is_refused(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    metadata = _metadata(path)
    metadata[b"lac_health_pack_schema_version"] = b"3"
    _rewrite(path, pq.read_table(path), metadata)
    with pytest.raises(PackError, match="pack schema version 3; this lac-health reads versions 1 and 2"):
        read_pack(path)


def test_a_version_1_pack_is_still_read(tmp_path, kpis):
    """A pack from before the symbols: its 16 columns, checksum over the v1 serialisation."""
    from pipelines.packs import FIELDS_BY_VERSION

    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    table = pq.read_table(path).drop_columns(["symbol", "reason", "source"])
    v1 = pa.schema([pa.field(n, k, nullable=null) for n, k, null in FIELDS_BY_VERSION["1"]])
    table = table.cast(v1)
    metadata = _metadata(path)
    metadata[b"lac_health_pack_schema_version"] = b"1"
    metadata[META_CHECKSUM.encode()] = rows_checksum(table, "1").encode()
    _rewrite(path, table, metadata)
    pack = read_pack(path)
    assert pack.schema_version == "1"
    expected = kpis[kpis["area_code"] == BIRMINGHAM].sort_values(list(KEY_COLUMNS), ignore_index=True)
    pd.testing.assert_frame_equal(pack.frame, expected)  # c where suppressed, blank elsewhere


def test_a_not_available_row_travels_with_its_reason(tmp_path, kpis):
    rows = kpis[kpis["area_code"] == BIRMINGHAM].copy()
    sdq = rows["kpi_id"] == "IHA04"
    rows.loc[sdq, ["numerator", "denominator", "value"]] = None
    rows.loc[sdq, "symbol"] = "x"
    rows.loc[sdq, "reason"] = "no health assessments supplied"
    frame = read_pack(export_pack(rows, BIRMINGHAM, tmp_path / "p.parquet")).frame
    got = frame[frame["kpi_id"] == "IHA04"]
    assert set(got["symbol"]) == {"x"} and set(got["reason"]) == {"no health assessments supplied"}
    rows.loc[sdq, "reason"] = ""
    with pytest.raises(PackError, match="must carry its reason"):
        export_pack(rows, BIRMINGHAM, tmp_path / "q.parquet")


def test_a_plain_parquet_file_is_not_a_pack(tmp_path, kpis):
    path = tmp_path / "kpis.parquet"
    kpis.to_parquet(path, index=False)
    with pytest.raises(PackError, match="not a lac-health KPI pack"):
        read_pack(path)
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet", encoding="utf-8")
    with pytest.raises(PackError, match="not a Parquet file"):
        read_pack(junk)


def test_duplicate_area_quarter_rows_are_refused(tmp_path, kpis):
    rows = kpis[kpis["area_code"] == BIRMINGHAM]
    with pytest.raises(PackError, match="share an area, quarter, KPI and breakdown"):
        export_pack(pd.concat([rows, rows.iloc[:1]]), BIRMINGHAM, tmp_path / "x.parquet")
    # and a file written by someone else with a duplicate and a correct checksum
    path = export_pack(rows, BIRMINGHAM, tmp_path / "p.parquet")
    table = pq.read_table(path).replace_schema_metadata(None)
    doubled = pa.concat_tables([table, table.slice(0, 1)])
    metadata = _metadata(path)
    metadata[b"row_count"] = str(doubled.num_rows).encode()
    metadata[META_CHECKSUM.encode()] = rows_checksum(doubled).encode()
    _rewrite(path, doubled, metadata)
    with pytest.raises(
        PackError, match=r"2 rows share an area, quarter, KPI and breakdown \(first: E08000025"
    ):
        read_pack(path)


def test_two_packs_for_one_area_are_refused(tmp_path, kpis):
    first = export_pack(kpis, BIRMINGHAM, tmp_path / "a.parquet")
    second = export_pack(kpis, BIRMINGHAM, tmp_path / "b.parquet")
    with pytest.raises(
        PackError,
        match=r"two packs for area E08000025: .*a\.parquet and .*b\.parquet \(both hold 2024-25-Q2, 2024-25-Q3\)",
    ):
        combine_packs([first, second])
    q3 = kpis[kpis["quarter"] == "2024-25-Q3"]
    later = export_pack(q3, BIRMINGHAM, tmp_path / "c.parquet")
    q2 = kpis[kpis["quarter"] == "2024-25-Q2"]
    earlier = export_pack(q2, BIRMINGHAM, tmp_path / "d.parquet")
    with pytest.raises(PackError, match="each area must come in one pack"):
        combine_packs([earlier, later])


def test_a_pack_whose_rows_are_for_another_area_is_refused(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    metadata = _metadata(path)
    metadata[b"area_code"] = COVENTRY.encode()
    _rewrite(path, pq.read_table(path), metadata)
    with pytest.raises(PackError, match="labelled E08000026 but its rows are for E08000025"):
        read_pack(path)


def test_a_truncated_pack_is_refused(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    table = pq.read_table(path)
    _rewrite(path, table.slice(0, 3), _metadata(path))
    with pytest.raises(PackError, match="says 10 rows but the file has 3"):
        read_pack(path)


def test_export_refuses_child_level_and_unknown_columns(tmp_path, kpis):
    with pytest.raises(PackError, match="child_id are child-level"):
        export_pack(kpis.assign(child_id="c1"), BIRMINGHAM, tmp_path / "x.parquet")
    with pytest.raises(PackError, match="date_of_birth are child-level"):
        export_pack(kpis.assign(date_of_birth=date(2010, 1, 1)), BIRMINGHAM, tmp_path / "x.parquet")
    with pytest.raises(PackError, match="not allowed notes"):
        export_pack(kpis.assign(notes="x"), BIRMINGHAM, tmp_path / "x.parquet")
    with pytest.raises(PackError, match="missing target"):
        export_pack(kpis.drop(columns="target"), BIRMINGHAM, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_export_refuses_figures_disclosure_control_would_hide_unless_allowed(tmp_path):
    small = _frame(
        [
            _row(BIRMINGHAM, "2024-25-Q3", x=3, n=40),  # numerator 3: primary (DC01)
            _row(BIRMINGHAM, "2024-25-Q2", kpi_id="IHA04", x=4, n=None, unit="count"),  # DC01
        ]
    )
    with pytest.raises(
        PackError,
        match=r"disclosure control was not applied: 2 row\(s\) show a count, numerator or denominator from 1 to 5 \(DC01\)",
    ):
        export_pack(small, BIRMINGHAM, tmp_path / "x.parquet")
    path = export_pack(small, BIRMINGHAM, tmp_path / "x.parquet", allow_unsuppressed=True)
    assert read_pack(path).row_count == 2


def test_export_refuses_a_breakdown_cell_recoverable_by_subtraction(tmp_path):
    # total 40/50 shown, placement:OUT 12/20 shown, placement:IN alone suppressed: IN = total − OUT
    rows = _frame(
        [
            _row(BIRMINGHAM, "2024-25-Q3"),
            _row(BIRMINGHAM, "2024-25-Q3", breakdown="placement:OUT", x=12, n=20),
            _row(BIRMINGHAM, "2024-25-Q3", breakdown="placement:IN", suppressed=True),
        ]
    )
    with pytest.raises(
        PackError, match=r"1 row\(s\) leave one cell of a breakdown recoverable .* \(DC02\)"
    ):
        export_pack(rows, BIRMINGHAM, tmp_path / "x.parquet")


def test_export_refuses_a_suppressed_row_with_numbers_and_an_unknown_area(tmp_path, kpis):
    leaky = kpis.copy()
    leaky.loc[leaky["suppressed"], "numerator"] = 3
    with pytest.raises(PackError, match="suppressed row\\(s\\) carry a numerator"):
        export_pack(leaky, BIRMINGHAM, tmp_path / "x.parquet")
    with pytest.raises(PackError, match="no KPI rows for area E08000030"):
        export_pack(kpis, "E08000030", tmp_path / "x.parquet")


def test_pack_errors_are_user_facing():
    assert issubclass(PackError, UserFacingError)
    with pytest.raises(PackError, match="no KPI packs to combine"):
        combine_packs([])


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_number = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(_text, _text, st.one_of(st.none(), st.integers(0, 10**12)), _number, _number),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r[0],
    )
)
def test_any_pack_round_trips_and_any_change_alters_the_checksum(rows):
    frame = _frame(
        [
            {
                **_row(BIRMINGHAM, "2024-25-Q3", kpi_id=kpi_id, x=0, n=None, unit="days"),
                "kpi_name": name,
                "numerator": None,
                "denominator": count,
                "value": value,
                "target": target,
            }
            for kpi_id, name, count, value, target in rows
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        pack = read_pack(
            export_pack(frame, BIRMINGHAM, Path(folder) / "p.parquet", allow_unsuppressed=True)
        )
        expected = frame.sort_values(list(KEY_COLUMNS), ignore_index=True)
        pd.testing.assert_frame_equal(pack.frame, expected)
        changed = expected.copy()
        changed.loc[0, "kpi_name"] = changed.loc[0, "kpi_name"] + ","
        other = read_pack(
            export_pack(changed, BIRMINGHAM, Path(folder) / "q.parquet", allow_unsuppressed=True)
        )
        assert other.checksum != pack.checksum


def test_a_blank_where_none_is_allowed_is_refused_by_name(tmp_path, kpis):
    path = export_pack(kpis, BIRMINGHAM, tmp_path / "p.parquet")
    table = pq.read_table(path).replace_schema_metadata(None)
    names = table.column("kpi_name").to_pylist()
    names[0] = None
    loose = pa.schema([pa.field(f.name, f.type) for f in table.schema])
    blank = table.cast(loose).set_column(4, pa.field("kpi_name", pa.string()), pa.array(names))
    metadata = _metadata(path)
    metadata[META_CHECKSUM.encode()] = rows_checksum(blank).encode()
    _rewrite(path, blank, metadata)
    with pytest.raises(PackError, match="column kpi_name has 1 blank value"):
        read_pack(path)


def test_packs_join_this_runs_results_unless_they_duplicate_an_area(tmp_path, kpis):
    local = kpis[kpis["area_code"] == BIRMINGHAM]
    packs = combine_packs([export_pack(kpis, COVENTRY, tmp_path / "c.parquet")])
    combined = combine_with_local(local, packs)
    assert sorted(set(combined["area_code"])) == [BIRMINGHAM, COVENTRY]
    assert len(combined) == len(kpis)
    with pytest.raises(
        PackError, match="E08000026 are computed from this run's extracts and also arrive"
    ):
        combine_with_local(kpis, packs)
