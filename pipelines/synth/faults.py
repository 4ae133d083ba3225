"""Faults injected on request, for validation tests: each breaks exactly one rule in one place.

Row faults change or add one row; file faults (``missing_column``, ``nhs_number``) make a
whole file unacceptable. Every fault is recorded with the file, the row number as a
spreadsheet counts it (header = row 1; file faults name row 1) and the column, so a test
can check that validation reports it exactly there. Clean generated rows break no rule,
so the fault rows are the only ones that should be quarantined. Where a fault is a
relation between two rows (a repeated id, two overlapping episodes), the added row is the
one recorded and ``detail`` names the row it clashes with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from pipelines.synth.codes import collection_year
from pipelines.synth.formats import OutputFile, iso_or_uk

ROW_FAULTS = (
    "bad_code",
    "impossible_date",
    "us_date",
    "duplicate_id",
    "orphan",
    "overlap",
    "future_date",
    "sdq_out_of_range",
    "negative_distance",
)
FILE_FAULTS = ("missing_column", "nhs_number")
FAULT_KINDS = ROW_FAULTS + FILE_FAULTS
_MARK = "__fault__"


@dataclass(frozen=True)
class InjectedFault:
    kind: str
    area_code: str
    as_at: date
    file: str  # file name within the as-at folder
    row_number: int  # header = 1; file faults: 1
    column: str  # column name as written in the file
    value: str  # the offending value ("" for a dropped column)
    detail: str = ""


class FaultError(ValueError):
    """A requested fault cannot be placed in the generated extract."""


def _file(files: list[OutputFile], table: str) -> OutputFile:
    for output in files:
        if output.table == table:
            return output
    raise FaultError(f"no {table} file to put the fault in")


def _parse(text: str, style: str) -> date:
    if style == "iso":
        return date.fromisoformat(text)
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def nhs_number(rnd: random.Random) -> str:
    """A 10-digit number that passes the NHS modulus-11 check (as real NHS numbers do)."""
    while True:
        digits = [rnd.randint(4, 9)] + [rnd.randint(0, 9) for _ in range(8)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


class FaultInjector:
    """Injects faults into the files of one extract, then numbers the rows they ended up on."""

    def __init__(
        self, files: list[OutputFile], area_code: str, as_at: date, rnd: random.Random
    ) -> None:
        self.files = files
        self.area_code = area_code
        self.as_at = as_at
        self.rnd = rnd
        self._pending: list[tuple[OutputFile, dict]] = []

    def _free_rows(self, output: OutputFile, mask: pd.Series | None = None) -> list[int]:
        frame = output.frame
        if _MARK not in frame.columns:
            frame[_MARK] = ""
        candidates = frame[_MARK] == ""
        if mask is not None:
            candidates &= mask
        rows = list(frame.index[candidates.to_numpy()])
        if not rows:
            raise FaultError(f"no suitable row in {output.name} for the fault")
        return rows

    def _pick(self, output: OutputFile, mask: pd.Series | None = None) -> int:
        rows = self._free_rows(output, mask)
        return rows[int(self.rnd.random() * len(rows))]

    def _insert_after(self, output: OutputFile, position: int, row: pd.Series) -> None:
        frame = output.frame
        top, bottom = frame.iloc[: position + 1], frame.iloc[position + 1 :]
        output.frame = pd.concat([top, row.to_frame().T, bottom], ignore_index=True)

    def _mark(
        self, output: OutputFile, position: int, record: dict, partner: int | None = None
    ) -> None:
        token = f"f{len(self._pending)}"
        output.frame.loc[position, _MARK] = token
        record["token"] = token
        if partner is not None:  # the row it clashes with is kept out of other faults' way
            output.frame.loc[partner, _MARK] = token + "p"
        self._pending.append((output, record))

    def inject(self, kind: str) -> None:
        handler = getattr(self, f"_{kind}", None)
        if kind not in FAULT_KINDS or handler is None:
            raise FaultError(
                f"unknown fault kind '{kind}': expected one of {', '.join(FAULT_KINDS)}"
            )
        handler()

    # ---- row faults ------------------------------------------------------------------------
    def _bad_code(self) -> None:
        output = _file(self.files, "episodes")
        column = output.columns["legal_status"]
        position = self._pick(output)
        output.frame.loc[position, column] = "Z9"
        self._mark(output, position, {"kind": "bad_code", "column": column, "value": "Z9"})

    def _impossible_date(self) -> None:
        output = _file(self.files, "health_assessments")
        column = output.columns["completed_date"]
        position = self._pick(output, output.frame[column] != "")
        year = _parse(output.frame.loc[position, column], output.date_style).year
        value = f"{year}-02-31" if output.date_style == "iso" else f"31/02/{year}"
        output.frame.loc[position, column] = value
        self._mark(output, position, {"kind": "impossible_date", "column": column, "value": value})

    def _us_date(self) -> None:
        output = next(
            (f for f in self.files if f.table == "health_assessments" and f.date_style == "uk"),
            None,
        )
        column_key = "requested_date"
        if output is None:
            output = next(
                (f for f in self.files if f.table == "episodes" and f.date_style == "uk"), None
            )
            column_key = "episode_start"
        if output is None:
            raise FaultError(
                "us_date needs a UK-dated file (an area in the 'uk' or 'ssda903' format)"
            )
        column = output.columns[column_key]
        day_part = output.frame[column].str.slice(0, 2)
        mask = (output.frame[column] != "") & (pd.to_numeric(day_part, errors="coerce") > 12)
        position = self._pick(output, mask)
        day = _parse(output.frame.loc[position, column], "uk")
        value = day.strftime("%m/%d/%Y")
        output.frame.loc[position, column] = value
        self._mark(output, position, {"kind": "us_date", "column": column, "value": value})

    def _duplicate_id(self) -> None:
        output = _file(self.files, "health_assessments")
        column = output.columns["assessment_id"]
        position = self._pick(output)
        copy = output.frame.loc[position].copy()
        self._insert_after(output, position, copy)
        self._mark(output, position + 1, {"kind": "duplicate_id", "column": column, "value": copy[column],
                                          "detail": "repeats row {partner}"}, partner=position)  # fmt: skip

    def _orphan(self) -> None:
        output = _file(self.files, "episodes")
        children = _file(self.files, "children")
        column = output.columns["child_id"]
        known = set(children.frame[children.columns["child_id"]])
        rne = output.columns["reason_new_episode"]
        position = self._pick(output, output.frame[rne] == "S")
        while True:
            new_id = str(self.rnd.randrange(1_000_000, 9_999_999))
            if new_id not in known and new_id not in set(output.frame[column]):
                break
        copy = output.frame.loc[position].copy()
        copy[column] = new_id
        self._insert_after(output, position, copy)
        self._mark(output, position + 1, {"kind": "orphan", "column": column, "value": new_id})

    def _overlap(self) -> None:
        output = _file(self.files, "episodes")
        start_col, end_col = output.columns["episode_start"], output.columns["episode_end"]
        frame = output.frame
        style = output.date_style

        def usable(row: pd.Series) -> bool:
            if row[end_col] == "" or row[start_col] == "":
                return False
            start, end = _parse(row[start_col], style), _parse(row[end_col], style)
            shifted = start + timedelta(days=1)
            return (end - start).days >= 3 and collection_year(
                shifted.toordinal()
            ) == collection_year(start.toordinal())

        mask = frame.apply(usable, axis=1).astype(bool)
        position = self._pick(output, mask)
        copy = frame.loc[position].copy()
        start, end = _parse(copy[start_col], style), _parse(copy[end_col], style)
        copy[start_col] = iso_or_uk(start + timedelta(days=1), style)
        copy[end_col] = iso_or_uk(end - timedelta(days=1), style)
        copy[output.columns["reason_new_episode"]] = "P"
        copy[output.columns["reason_episode_ceased"]] = "X1"
        self._insert_after(output, position, copy)
        self._mark(output, position + 1, {"kind": "overlap", "column": start_col, "value": copy[start_col],
                                          "detail": "overlaps row {partner}"}, partner=position)  # fmt: skip

    def _future_date(self) -> None:
        output = _file(self.files, "sdq")
        column = output.columns["sdq_date"]
        position = self._pick(output)
        value = iso_or_uk(self.as_at + timedelta(days=20), output.date_style)
        output.frame.loc[position, column] = value
        self._mark(output, position, {"kind": "future_date", "column": column, "value": value})

    def _sdq_out_of_range(self) -> None:
        output = _file(self.files, "sdq")
        column = output.columns["sdq_score"]
        position = self._pick(output)
        output.frame.loc[position, column] = "41"
        self._mark(output, position, {"kind": "sdq_out_of_range", "column": column, "value": "41"})

    def _negative_distance(self) -> None:
        output = _file(self.files, "episodes")
        column = output.columns["placement_distance_miles"]
        position = self._pick(output, output.frame[column] != "")
        value = "-" + output.frame.loc[position, column]
        output.frame.loc[position, column] = value
        self._mark(
            output, position, {"kind": "negative_distance", "column": column, "value": value}
        )

    # ---- file faults -----------------------------------------------------------------------
    def _missing_column(self) -> None:
        output = _file(self.files, "gp_registrations")
        column = output.columns["registered_from"]
        if column not in output.frame.columns:
            raise FaultError("missing_column was already injected in this extract")
        output.frame = output.frame.drop(columns=[column])
        self._pending.append(
            (output, {"kind": "missing_column", "column": column, "value": "", "row": 1})
        )

    def _nhs_number(self) -> None:
        output = _file(self.files, "camhs_referrals")
        if "nhs_number" in output.frame.columns:
            raise FaultError("nhs_number was already injected in this extract")
        numbers = [nhs_number(self.rnd) for _ in range(len(output.frame))]
        output.frame.insert(2, "nhs_number", numbers)
        value = numbers[0] if numbers else ""
        self._pending.append(
            (output, {"kind": "nhs_number", "column": "nhs_number", "value": value, "row": 1})
        )

    def finish(self) -> list[InjectedFault]:
        """Row numbers once every insertion is done; drops the bookkeeping column."""
        faults = []
        for output, record in self._pending:
            row = record.get("row")
            detail = record.get("detail", "")
            if row is None:
                marks = output.frame[_MARK].to_numpy()
                row = int((marks == record["token"]).nonzero()[0][0]) + 2
                if "{partner}" in detail:
                    detail = detail.format(
                        partner=int((marks == record["token"] + "p").nonzero()[0][0]) + 2
                    )
            faults.append(
                InjectedFault(
                    kind=record["kind"],
                    area_code=self.area_code,
                    as_at=self.as_at,
                    file=output.name,
                    row_number=row,
                    column=record["column"],
                    value=str(record["value"]),
                    detail=detail,
                )
            )
        for output in self.files:
            if _MARK in output.frame.columns:
                output.frame = output.frame.drop(columns=[_MARK])
        return faults
