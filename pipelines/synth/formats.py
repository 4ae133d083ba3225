"""Output styles of an extract, so that every reader path is exercised.

* ``canonical``: UTF-8 without BOM, ISO dates, LF line ends, EXTRACTS.md column names.
  Dates of birth known only to the month (assessed ages of some UASC) are written ``YYYY-MM``.
* ``uk``: what Excel's CSV export gives: Windows-1252, no BOM, DD/MM/YYYY dates, CRLF.
* ``ssda903``: children and episodes as the SSDA903 return's ``header.csv`` and
  ``episodes.csv`` (903 column names, DD/MM/YYYY, fake but real-looking UPNs and full
  postcodes, which the ingest must minimise), the canonical-only placement_area_code and
  placement_distance_miles appended to episodes, and ``oc2.csv``; the health tables, which
  come from health systems rather than the 903 return, are canonical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipelines.synth.codes import (
    COLUMNS,
    DATE_COLUMNS,
    SSDA903_EPISODES,
    SSDA903_HEADER,
    SSDA903_NAMES,
    SSDA903_OC2,
)
from pipelines.synth.extract import ExtractView

FORMATS = ("canonical", "uk", "ssda903")


@dataclass
class OutputFile:
    """One file of an extract, every cell already text."""

    name: str  # file name in the as-at folder
    table: str  # canonical table (children, episodes, ..., oc2)
    frame: pd.DataFrame
    date_style: str  # iso or uk
    encoding: str
    newline: str
    columns: dict[str, str]  # canonical column -> column name in this file
    date_columns: tuple[str, ...]  # file column names holding dates

    def to_bytes(self) -> bytes:
        return self.frame.to_csv(index=False, lineterminator=self.newline).encode(self.encoding)


class DateText:
    """Ordinal → text, by table look-up (the national benchmark formats millions of dates)."""

    def __init__(self) -> None:
        self._base = 0
        self._iso = np.empty(0, dtype=object)
        self._uk = np.empty(0, dtype=object)

    def _ensure(self, low: int, high: int) -> None:
        if self._iso.size and low >= self._base and high < self._base + self._iso.size:
            return
        low = min(low, self._base) if self._iso.size else low
        high = max(high, self._base + self._iso.size - 1) if self._iso.size else high
        days = (np.arange(low, high + 1) - 719163).astype("datetime64[D]")
        iso = np.datetime_as_string(days, unit="D").astype(object)
        uk = np.array([f"{s[8:10]}/{s[5:7]}/{s[0:4]}" for s in iso], dtype=object)
        self._base, self._iso, self._uk = low, iso, uk

    def format(self, ordinals: np.ndarray, style: str) -> np.ndarray:
        ordinals = np.asarray(ordinals, dtype=np.int64)
        out = np.full(ordinals.shape, "", dtype=object)
        present = ordinals > 0
        if present.any():
            values = ordinals[present]
            self._ensure(int(values.min()), int(values.max()))
            table = self._iso if style == "iso" else self._uk
            out[present] = table[values - self._base]
        return out


def _text(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(str).astype(object)


def _distance(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, "", dtype=object)
    known = ~np.isnan(values)
    out[known] = np.char.mod("%.1f", values[known]).astype(object)
    return out


def _canonical_frame(
    table: str, columns: dict[str, np.ndarray], dates: DateText, style: str
) -> pd.DataFrame:
    data = {}
    for name in COLUMNS[table]:
        values = columns[name]
        if name in DATE_COLUMNS[table]:
            data[name] = dates.format(values, style)
        elif name == "placement_distance_miles":
            data[name] = _distance(values)
        else:
            data[name] = _text(values)
    return pd.DataFrame(data, dtype=object)


def build_files(view: ExtractView, style: str, dates: DateText) -> list[OutputFile]:
    """The files of one extract in one output style."""
    if style not in FORMATS:
        raise ValueError(f"unknown output format '{style}': expected one of {', '.join(FORMATS)}")
    files: list[OutputFile] = []
    identity = {table: {c: c for c in COLUMNS[table]} for table in COLUMNS}
    date_style = "uk" if style == "uk" else "iso"
    encoding = "cp1252" if style == "uk" else "utf-8"
    newline = "\r\n" if style == "uk" else "\n"
    for table in COLUMNS:
        if style == "ssda903" and table in ("children", "episodes"):
            continue
        frame = _canonical_frame(table, view.tables[table], dates, date_style)
        if table == "children" and style == "canonical":
            month_only = view.month_only_dob
            frame.loc[month_only, "date_of_birth"] = frame.loc[
                month_only, "date_of_birth"
            ].str.slice(0, 7)
        files.append(
            OutputFile(
                f"{table}.csv",
                table,
                frame,
                date_style,
                encoding,
                newline,
                identity[table],
                DATE_COLUMNS[table],
            )
        )
    if style == "ssda903":
        files[:0] = _ssda903_files(view, dates)
    return files


def _ssda903_files(view: ExtractView, dates: DateText) -> list[OutputFile]:
    children = view.tables["children"]
    header = view.ssda903["header"]
    uk = dates.format
    header_frame = pd.DataFrame(
        {
            "CHILD": _text(children["child_id"]),
            "SEX": _text(children["sex"]),
            "DOB": uk(children["date_of_birth"], "uk"),
            "ETHNIC": _text(children["ethnicity"]),
            "UPN": _text(header["UPN"]),
            "MOTHER": _text(header["MOTHER"]),
            "MC_DOB": uk(header["MC_DOB"], "uk"),
        },
        columns=list(SSDA903_HEADER),
        dtype=object,
    )
    episodes = view.tables["episodes"]
    extra = view.ssda903["episodes"]
    names = SSDA903_NAMES["episodes"]
    data = {}
    for canonical, column in names.items():
        values = episodes[canonical]
        if canonical in ("episode_start", "episode_end"):
            data[column] = uk(values, "uk")
        elif canonical == "placement_distance_miles":
            data[column] = _distance(values)
        else:
            data[column] = _text(values)
    for column, values in extra.items():
        data[column] = _text(values)
    episode_frame = pd.DataFrame(data, columns=list(SSDA903_EPISODES), dtype=object)
    files = [
        OutputFile(
            "header.csv",
            "children",
            header_frame,
            "uk",
            "utf-8",
            "\n",
            dict(SSDA903_NAMES["children"]),
            ("DOB", "MC_DOB"),
        ),
        OutputFile(
            "episodes.csv",
            "episodes",
            episode_frame,
            "uk",
            "utf-8",
            "\n",
            dict(names),
            ("DECOM", "DEC"),
        ),
    ]
    oc2 = view.ssda903.get("oc2")
    if oc2 is not None:
        data = {
            name: (uk(oc2[name], "uk") if name == "DOB" else _text(oc2[name]))
            for name in SSDA903_OC2
        }
        frame = pd.DataFrame(data, columns=list(SSDA903_OC2), dtype=object)
        files.append(
            OutputFile(
                "oc2.csv", "oc2", frame, "uk", "utf-8", "\n", {"child_id": "CHILD"}, ("DOB",)
            )
        )
    return files


def iso_or_uk(day: date, style: str) -> str:
    return day.isoformat() if style == "iso" else day.strftime("%d/%m/%Y")
