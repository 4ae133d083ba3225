"""The reference list of areas (ONS code, name, region, nation) that ships with the project.

English local authorities and their DfE three-digit codes come from DfE's published
"Children looked after in England" LA-level file (Open Government Licence v3.0); a few
Scottish, Welsh and Northern Irish areas are added by hand for cross-nation partner groups.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from pipelines.paths import PACKAGE_DATA_DIR


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    dfe_la_code: str
    region_code: str
    region_name: str
    nation: str


@lru_cache(maxsize=1)
def all_areas() -> dict[str, Area]:
    with open(PACKAGE_DATA_DIR / "areas.csv", encoding="utf-8", newline="") as handle:
        return {
            row["area_code"]: Area(
                code=row["area_code"],
                name=row["area_name"],
                dfe_la_code=row["dfe_la_code"],
                region_code=row["region_code"],
                region_name=row["region_name"],
                nation=row["nation"],
            )
            for row in csv.DictReader(handle)
        }


def area_name(code: str) -> str:
    """The area's name, or the code itself for an area not in the reference list."""
    area = all_areas().get(code)
    return area.name if area else code
