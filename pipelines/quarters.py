"""UK financial-year quarters: ids like ``2024-25-Q3``, labels like "Q3 2024/25 (Oct–Dec 2024)"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER_ID = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
_MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: ``fy_start`` is the calendar year the financial year starts in."""

    fy_start: int
    number: int  # 1 = Apr–Jun … 4 = Jan–Mar

    @classmethod
    def parse(cls, quarter_id: str) -> Quarter:
        match = _QUARTER_ID.match(quarter_id.strip())
        if not match:
            raise ValueError(f"'{quarter_id}' is not a quarter id: expected e.g. 2024-25-Q3")
        start, end_yy, number = int(match[1]), int(match[2]), int(match[3])
        if (start + 1) % 100 != end_yy:
            raise ValueError(f"'{quarter_id}': the financial year must be two consecutive years")
        return cls(start, number)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def latest_complete(cls, as_at: date) -> Quarter:
        """The latest quarter whose last day is on or before ``as_at``."""
        current = cls.containing(as_at)
        return current if current.end == as_at else current.previous()

    @property
    def id(self) -> str:
        return f"{self.fy_start}-{(self.fy_start + 1) % 100:02d}-Q{self.number}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.fy_start, month, 1) if month <= 12 else date(self.fy_start + 1, month - 12, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def label(self) -> str:
        first = self.start
        last = self.end
        months = f"{_MONTH_ABBR[first.month - 1]}–{_MONTH_ABBR[last.month - 1]} {last.year}"
        return f"Q{self.number} {self.fy_start}/{(self.fy_start + 1) % 100:02d} ({months})"

    @property
    def short_label(self) -> str:
        return f"Q{self.number} {self.fy_start}/{(self.fy_start + 1) % 100:02d}"

    def next(self) -> Quarter:
        return Quarter(self.fy_start, self.number + 1) if self.number < 4 else Quarter(self.fy_start + 1, 1)

    def previous(self) -> Quarter:
        return Quarter(self.fy_start, self.number - 1) if self.number > 1 else Quarter(self.fy_start - 1, 4)

    def shift(self, quarters: int) -> Quarter:
        index = self.fy_start * 4 + (self.number - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __str__(self) -> str:
        return self.id


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    quarters = []
    current = first
    while current <= last:
        quarters.append(current)
        current = current.next()
    return quarters
