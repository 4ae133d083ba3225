"""KPI packs: one area's aggregate results in one checked Parquet file, for partners to combine.

Areas that cannot share a warehouse (different councils, different NHS bodies) can still be
compared: each exports its own pack, and whoever runs the partner comparison reads the packs
of all. A pack holds only what kpis.csv holds for that area (aggregates, with disclosure
control already applied), never a child-level row or column. Its Parquet key-value metadata
carries a schema version, the area, the producing version, the row count and a SHA-256
checksum of a canonical serialisation of its rows, so that a reader can refuse a file that
was edited, truncated, mislabelled or produced to another schema. docs/kpi-pack-schema.md
specifies the format precisely enough for another implementation to write or verify one.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import __version__
from pipelines.atomic import write_atomic
from pipelines.dates import as_date
from pipelines.disclosure import disclosure_findings
from pipelines.errors import UserFacingError

# Version 2 adds kpis.csv's symbol, reason and source columns (a KPI not available is `x`
# with its reason in a pack too); version 1 packs are still read (docs/kpi-pack-schema.md).
PACK_SCHEMA_VERSION = "2"
PACK_SUFFIX = ".parquet"

# (column, Arrow type, may be null) in file order: the kpis.csv columns of a version 1 pack.
_V1_FIELDS: tuple[tuple[str, pa.DataType, bool], ...] = (
    ("area_code", pa.string(), False),
    ("area_name", pa.string(), False),
    ("quarter", pa.string(), False),
    ("kpi_id", pa.string(), False),
    ("kpi_name", pa.string(), False),
    ("breakdown", pa.string(), False),
    ("numerator", pa.int64(), True),
    ("denominator", pa.int64(), True),
    ("value", pa.float64(), True),
    ("ci_lower", pa.float64(), True),
    ("ci_upper", pa.float64(), True),
    ("unit", pa.string(), False),
    ("polarity", pa.string(), False),
    ("target", pa.float64(), True),
    ("suppressed", pa.bool_(), False),
    ("as_at", pa.date32(), False),
)
# Version 2: exactly the kpis.csv columns (pipelines.outputs.KPI_COLUMNS), in that order.
PACK_FIELDS: tuple[tuple[str, pa.DataType, bool], ...] = (
    *_V1_FIELDS[:15],
    ("symbol", pa.string(), False),  # c, x, z or "" (shown)
    ("reason", pa.string(), False),  # why x; "" otherwise
    ("source", pa.string(), False),  # "" or where the figure comes from (e.g. "SSDA903 OC2 return")
    _V1_FIELDS[15],
)
FIELDS_BY_VERSION = {"1": _V1_FIELDS, "2": PACK_FIELDS}
PACK_COLUMNS = [name for name, _, _ in PACK_FIELDS]
PACK_SCHEMA = pa.schema(
    [pa.field(name, kind, nullable=nullable) for name, kind, nullable in PACK_FIELDS]
)


def _read_schema(version: str) -> pa.Schema:
    """Every column nullable, so that a blank where none is allowed is reported by name
    (``_validate_rows``) instead of failing inside Arrow's cast."""
    return pa.schema([pa.field(name, kind) for name, kind, _ in FIELDS_BY_VERSION[version]])


KEY_COLUMNS = ("area_code", "quarter", "kpi_id", "breakdown")
# Parquet column types as (physical type, logical type), checked on read so that a file from
# another writer is judged on what Parquet stores, not on one library's reading of it.
_PARQUET_TYPES = {
    "string": ("BYTE_ARRAY", "String"),
    "int64": ("INT64", "None"),
    "double": ("DOUBLE", "None"),
    "bool": ("BOOLEAN", "None"),
    "date32[day]": ("INT32", "Date"),
}

META_VERSION = "lac_health_pack_schema_version"
META_AREA = "area_code"
META_CREATED_BY = "created_by"
META_ROWS = "row_count"
META_CHECKSUM = "rows_sha256"
META_QUARTERS = "quarters"
REQUIRED_METADATA = (META_VERSION, META_AREA, META_CREATED_BY, META_ROWS, META_CHECKSUM)

# Column names that would mean child-level data: a pack refuses any of them (and any column
# outside PACK_COLUMNS), so that a frame with a child's identifier can never be exported.
CHILD_LEVEL_COLUMNS = frozenset({
    "child_id", "child", "upn", "nhs_number", "date_of_birth", "dob", "mother", "mc_dob", "sex", "ethnicity",
    "assessment_id", "referral_id", "practice_code", "episode_start", "episode_end", "period_start",
    "requested_date", "completed_date", "referral_date", "sdq_date", "sdq_score", "home_post", "pl_post",
    "postcode", "name", "first_name", "last_name", "address",
})  # fmt: skip


class PackError(UserFacingError):
    """A pack cannot be written or read safely; the message names the file and the problem."""


@dataclass(frozen=True)
class Pack:
    path: Path
    area_code: str
    schema_version: str
    created_by: str
    row_count: int
    checksum: str
    quarters: tuple[str, ...]
    frame: pd.DataFrame  # the kpis.csv columns, typed as pipelines.outputs types them


def pack_file_name(area_code: str) -> str:
    """The conventional file name of an area's pack: ``kpi-pack-<area_code>.parquet``."""
    return f"kpi-pack-{area_code}{PACK_SUFFIX}"


# --- canonical serialisation -------------------------------------------------------------------


def _token(value: Any, kind: pa.DataType) -> bytes:
    if value is None:
        return b"~"
    if pa.types.is_string(kind):
        data = str(value).encode("utf-8")
        return b"s" + str(len(data)).encode("ascii") + b":" + data
    if pa.types.is_int64(kind):
        return b"i" + str(int(value)).encode("ascii")
    if pa.types.is_float64(kind):
        number = float(value)
        if math.isnan(number):
            raise PackError("NaN is not a value a pack may hold: write a missing number as null")
        if number == 0.0:
            number = 0.0  # -0.0 and 0.0 are the same figure
        return b"f" + struct.pack(">d", number).hex().encode("ascii")
    if pa.types.is_boolean(kind):
        return b"b1" if value else b"b0"
    if pa.types.is_date32(kind):
        day = value.date() if isinstance(value, datetime) else value
        if not isinstance(day, date):
            raise PackError(f"as_at value {value!r} is not a date")
        return b"d" + day.isoformat().encode("ascii")
    raise PackError(f"no canonical form for type {kind}")


def canonical_rows(table: pa.Table, version: str = PACK_SCHEMA_VERSION) -> bytes:
    """The canonical byte serialisation of a pack's rows (docs/kpi-pack-schema.md, "Checksum").

    Rows sorted by (area_code, quarter, kpi_id, breakdown) in code-point order; each row is
    its fields (19 in version 2, 16 in version 1) in schema order, each a self-delimiting
    token, joined by ``,`` and ended by ``\\n``; the whole prefixed by
    ``lac-health-pack-v<version>\\n``.
    """
    fields = FIELDS_BY_VERSION[version]
    names = [name for name, _, _ in fields]
    columns = {name: table.column(name).to_pylist() for name in names}
    order = sorted(range(table.num_rows), key=lambda i: tuple(columns[k][i] for k in KEY_COLUMNS))
    lines = [
        b",".join(_token(columns[name][i], kind) for name, kind, _ in fields) + b"\n"
        for i in order
    ]
    return f"lac-health-pack-v{version}\n".encode("ascii") + b"".join(lines)


def rows_checksum(table: pa.Table, version: str = PACK_SCHEMA_VERSION) -> str:
    return hashlib.sha256(canonical_rows(table, version)).hexdigest()


# --- export ------------------------------------------------------------------------------------


def _check_columns(frame: pd.DataFrame) -> None:
    columns = [str(c) for c in frame.columns]
    child_level = sorted(c for c in columns if c.strip().casefold() in CHILD_LEVEL_COLUMNS)
    if child_level:
        raise PackError(
            f"refusing to export a pack: column(s) {', '.join(child_level)} are child-level; a pack "
            "holds only the aggregate kpis.csv columns"
        )
    missing = [c for c in PACK_COLUMNS if c not in columns]
    extra = [c for c in columns if c not in PACK_COLUMNS]
    if missing or extra:
        raise PackError(
            "refusing to export a pack: it holds exactly the kpis.csv columns"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; not allowed {', '.join(extra)}" if extra else "")
        )


def _to_table(frame: pd.DataFrame) -> pa.Table:
    arrays = []
    for name, kind, _ in PACK_FIELDS:
        column = frame[name]
        if pa.types.is_string(kind):
            values = [None if pd.isna(v) else str(v) for v in column]
        elif pa.types.is_int64(kind):
            numbers = pd.to_numeric(column, errors="raise").astype("Float64")
            if (numbers.notna() & (numbers != numbers.round())).any():
                raise PackError(f"refusing to export a pack: column {name} has a fractional count")
            values = [None if pd.isna(v) else int(v) for v in numbers]
        elif pa.types.is_float64(kind):
            values = [
                None if pd.isna(v) else float(v) for v in pd.to_numeric(column, errors="raise")
            ]
        elif pa.types.is_boolean(kind):
            values = [None if pd.isna(v) else _as_bool(v, name) for v in column]
        else:
            values = [as_date(v) for v in column]
        arrays.append(pa.array(values, type=kind))
    return pa.Table.from_arrays(arrays, schema=PACK_SCHEMA)


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise PackError(f"column {name}: '{value}' is not true or false")


def _validate_rows(table: pa.Table, where: str, version: str = PACK_SCHEMA_VERSION) -> None:
    """The checks a pack's rows must pass, on export and on read alike."""
    for name, _, nullable in FIELDS_BY_VERSION[version]:
        if not nullable and table.column(name).null_count:
            raise PackError(
                f"{where}: column {name} has {table.column(name).null_count} blank value(s); it may not be blank"
            )
    frame = table.select(list(KEY_COLUMNS)).to_pandas()
    duplicated = frame.duplicated(keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise PackError(
            f"{where}: {int(duplicated.sum())} rows share an area, quarter, KPI and breakdown "
            f"(first: {first['area_code']} {first['quarter']} {first['kpi_id']} {first['breakdown']}); "
            "each may appear once"
        )
    suppressed = table.column("suppressed").to_pylist()
    for name in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
        values = table.column(name).to_pylist()
        leaked = [
            i
            for i, (s, v) in enumerate(zip(suppressed, values, strict=True))
            if s and v is not None
        ]
        if leaked:
            raise PackError(
                f"{where}: {len(leaked)} suppressed row(s) carry a {name}; a suppressed figure must be blank"
            )
    for name in ("value", "ci_lower", "ci_upper", "target"):
        values = table.column(name).to_pylist()
        if any(v is not None and math.isnan(v) for v in values):
            raise PackError(f"{where}: column {name} holds NaN; a missing number must be null")
    if "symbol" in table.column_names:
        _validate_symbols(table, where)


def _validate_symbols(table: pa.Table, where: str) -> None:
    """A version 2 pack's symbols agree with its figures: c exactly where suppressed, and an
    x (not available) row carries its reason and no figure."""
    symbols = table.column("symbol").to_pylist()
    unknown = sorted({s for s in symbols if s not in ("", "c", "x", "z")})
    if unknown:
        raise PackError(f"{where}: symbol {', '.join(map(repr, unknown))} is not one of c, x, z or blank")
    suppressed = table.column("suppressed").to_pylist()
    if any((s == "c") != bool(flag) for s, flag in zip(symbols, suppressed, strict=True)):
        raise PackError(f"{where}: a row's symbol c and its suppressed flag disagree")
    reasons = table.column("reason").to_pylist()
    values = table.column("value").to_pylist()
    for symbol, reason, value in zip(symbols, reasons, values, strict=True):
        if symbol == "x" and (not reason or value is not None):
            raise PackError(f"{where}: a row marked x (not available) must carry its reason and no figure")


def _check_disclosure(rows: pd.DataFrame, area_code: str) -> None:
    """Refuse rows that disclosure control for the board audience would not have let out."""
    findings = disclosure_findings(rows)
    if not findings:
        return
    counts = {
        code: sum(f.code == code for f in findings) for code in sorted({f.code for f in findings})
    }
    reasons = {
        "DC01": "show a count, numerator or denominator from 1 to 5",
        "DC02": "leave one cell of a breakdown recoverable by subtraction from its total",
        "DC03": "are marked suppressed but carry figures",
    }
    detail = "; ".join(
        f"{n} row(s) {reasons.get(code, code)} ({code})" for code, n in counts.items()
    )
    raise PackError(
        f"refusing to export the pack for {area_code}: disclosure control was not applied: "
        f"{detail}. Export packs from the board audience's results"
    )


def export_pack(
    kpis: pd.DataFrame, area_code: str, out_file: Path, allow_unsuppressed: bool = False
) -> Path:
    """Write ``area_code``'s rows of the kpis.csv frame (all quarters and breakdowns) as a pack.

    Refuses, with a ``PackError``: a frame with any column but the kpis.csv ones (child-level
    columns are named), an area with no rows, duplicate (area, quarter, KPI, breakdown) rows,
    a suppressed row that carries a number, and (unless ``allow_unsuppressed``) rows that
    ``pipelines.disclosure.disclosure_findings`` flags: a shown count, numerator or
    denominator from 1 to 5, or a breakdown cell recoverable by subtraction. Such a frame was
    made for the unsuppressed internal audience and must not leave the area. The file is
    written atomically; returns its path.
    """
    _check_columns(kpis)
    rows = kpis[kpis["area_code"] == area_code]
    if rows.empty:
        available = ", ".join(sorted(set(map(str, kpis["area_code"])))) or "none"
        raise PackError(
            f"no KPI rows for area {area_code} to export (areas in the results: {available})"
        )
    rows = rows.sort_values(list(KEY_COLUMNS), ignore_index=True)
    table = _to_table(rows)
    _validate_rows(table, f"pack for {area_code}")
    if not allow_unsuppressed:
        _check_disclosure(rows, area_code)
    quarters = sorted(set(table.column("quarter").to_pylist()))
    metadata = {
        META_VERSION: PACK_SCHEMA_VERSION,
        META_AREA: area_code,
        META_CREATED_BY: f"lac-health {__version__}",
        META_ROWS: str(table.num_rows),
        META_CHECKSUM: rows_checksum(table),
        META_QUARTERS: ",".join(quarters),
    }
    table = table.replace_schema_metadata(metadata)
    return write_atomic(Path(out_file), lambda path: pq.write_table(table, path))


def export_packs(
    kpis: pd.DataFrame,
    out_dir: Path,
    areas: Iterable[str] | None = None,
    allow_unsuppressed: bool = False,
) -> list[Path]:
    """One pack per area (default: every area of the frame) as ``<out_dir>/kpi-pack-<area>.parquet``."""
    codes = sorted(set(kpis["area_code"])) if areas is None else list(areas)
    return [
        export_pack(kpis, code, Path(out_dir) / pack_file_name(code), allow_unsuppressed)
        for code in codes
    ]


# --- read and combine ----------------------------------------------------------------------


def _check_parquet_schema(parquet: pq.ParquetFile, path: Path, version: str = PACK_SCHEMA_VERSION) -> None:
    schema = parquet.schema
    names = [schema.column(i).name for i in range(len(schema))]
    fields = FIELDS_BY_VERSION[version]
    expected_names = [name for name, _, _ in fields]
    if names != expected_names:
        raise PackError(
            f"{path}: columns are {', '.join(names)}; a version {version} pack has exactly "
            f"{', '.join(expected_names)} in that order"
        )
    for i, (name, kind, _) in enumerate(fields):
        column = schema.column(i)
        expected = _PARQUET_TYPES[str(kind)]
        found = (column.physical_type, str(column.logical_type))
        if found != expected:
            raise PackError(
                f"{path}: column {name} is stored as {found[0]}/{found[1]}; a pack stores it as "
                f"{expected[0]}/{expected[1]} ({kind})"
            )


def _frame(table: pa.Table) -> pd.DataFrame:
    """The pack's rows typed as pipelines.outputs types kpis.csv: Int64, Float64, bool, date."""
    frame = table.to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}.get,
        date_as_object=True,
    )
    frame["suppressed"] = frame["suppressed"].astype(bool)
    if "symbol" not in frame.columns:
        # A version 1 pack predates the symbols: c where suppressed, z for a figure over no
        # one, and no reason or source (it could not say a KPI was not available).
        frame["symbol"] = ["c" if s else ("z" if pd.isna(v) else "")
                           for s, v in zip(frame["suppressed"], frame["value"], strict=True)]
        frame["reason"] = ""
        frame["source"] = ""
    return frame[PACK_COLUMNS]


def read_pack(path: Path) -> Pack:
    """Read and verify one pack: schema, version, metadata, single area, unique rows, checksum."""
    path = Path(path)
    if not path.is_file():
        raise PackError(f"{path}: no such pack file")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise PackError(f"{path}: not a Parquet file ({error})") from None
    raw = parquet.metadata.metadata or {}
    metadata = {
        key.decode("utf-8", "replace"): value.decode("utf-8", "replace")
        for key, value in raw.items()
    }
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise PackError(
            f"{path}: not a lac-health KPI pack (metadata {', '.join(missing)} missing)"
        )
    version = metadata[META_VERSION]
    if version not in FIELDS_BY_VERSION:
        raise PackError(
            f"{path}: pack schema version {version}; this lac-health reads versions "
            f"{' and '.join(FIELDS_BY_VERSION)}"
        )
    _check_parquet_schema(parquet, path, version)
    table = parquet.read().cast(_read_schema(version)).replace_schema_metadata(None)
    try:
        rows = int(metadata[META_ROWS])
    except ValueError:
        raise PackError(
            f"{path}: row_count '{metadata[META_ROWS]}' is not a whole number"
        ) from None
    if rows != table.num_rows:
        raise PackError(
            f"{path}: the metadata says {rows} rows but the file has {table.num_rows}: truncated or edited"
        )
    _validate_rows(table, str(path), version)
    area = metadata[META_AREA]
    areas = sorted(set(table.column("area_code").to_pylist()))
    if areas != [area]:
        raise PackError(
            f"{path}: the pack is labelled {area} but its rows are for {', '.join(areas) or 'no area'}; "
            "a pack holds one area's rows"
        )
    checksum = rows_checksum(table, version)
    if checksum != metadata[META_CHECKSUM]:
        raise PackError(
            f"{path}: checksum mismatch: the rows were changed after the pack was written "
            "(or the file is damaged); ask the area for a fresh pack"
        )
    quarters = tuple(sorted(set(table.column("quarter").to_pylist())))
    return Pack(
        path=path,
        area_code=area,
        schema_version=version,
        created_by=metadata[META_CREATED_BY],
        row_count=rows,
        checksum=checksum,
        quarters=quarters,
        frame=_frame(table),
    )


def combine_packs(paths: Sequence[Path]) -> pd.DataFrame:
    """The rows of several verified packs as one kpis.csv frame; refuses two packs for one area."""
    if not paths:
        raise PackError("no KPI packs to combine")
    packs = [read_pack(Path(p)) for p in paths]
    by_area: dict[str, Pack] = {}
    for pack in packs:
        earlier = by_area.get(pack.area_code)
        if earlier is not None:
            overlap = sorted(set(earlier.quarters) & set(pack.quarters))
            detail = (
                f"both hold {', '.join(overlap)}"
                if overlap
                else "each area must come in one pack, holding all its quarters"
            )
            raise PackError(
                f"two packs for area {pack.area_code}: {earlier.path} and {pack.path} ({detail}); "
                "keep the newer one only"
            )
        by_area[pack.area_code] = pack
    frame = pd.concat([pack.frame for pack in packs], ignore_index=True)
    return frame.sort_values(list(KEY_COLUMNS), ignore_index=True)


def read_packs_dir(directory: Path) -> pd.DataFrame:
    """Every ``*.parquet`` pack of a folder, verified and combined (for ``lac-health run --packs DIR``)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PackError(f"{directory}: no such folder of KPI packs")
    paths = sorted(directory.glob(f"*{PACK_SUFFIX}"))
    if not paths:
        raise PackError(f"{directory}: no {PACK_SUFFIX} KPI packs in this folder")
    return combine_packs(paths)


def combine_with_local(local: pd.DataFrame, packs: pd.DataFrame) -> pd.DataFrame:
    """This run's own kpis.csv frame plus partners' pack rows, for the partner comparison.

    Refuses a pack for an area whose figures this run computed itself: two sources for one
    area's figures would be compared as if they were one.
    """
    both = sorted(set(map(str, local["area_code"])) & set(map(str, packs["area_code"])))
    if both:
        raise PackError(
            f"area(s) {', '.join(both)} are computed from this run's extracts and also arrive "
            "as a KPI pack; remove the pack (or the extracts) so that each area has one source"
        )
    frame = pd.concat([local[PACK_COLUMNS], packs[PACK_COLUMNS]], ignore_index=True)
    return frame.sort_values(list(KEY_COLUMNS), ignore_index=True)
