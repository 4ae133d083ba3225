"""Where children are placed: neighbouring areas, postcode districts and GP practice prefixes.

Neighbours of the default partner group (the West Midlands metropolitan authorities and the
City of Edinburgh) are their real bordering authorities; any other area falls back to the
areas of its region in ``pipelines/data/areas.csv``. Edinburgh's neighbours (Midlothian,
East Lothian, West Lothian, Fife) are real ONS council codes that the reference list does
not carry.
"""

from __future__ import annotations

from functools import cache

from pipelines.areas import Area, all_areas

NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "E08000025": (
        "E08000028",
        "E08000029",
        "E08000030",
        "E08000027",
        "E10000034",
        "E10000028",
        "E10000031",
    ),
    "E08000026": ("E10000031", "E08000029"),
    "E08000027": ("E08000028", "E08000031", "E08000025", "E10000028", "E10000034"),
    "E08000028": ("E08000025", "E08000027", "E08000030", "E08000031"),
    "E08000029": ("E08000025", "E08000026", "E10000031", "E10000034"),
    "E08000030": ("E08000031", "E08000028", "E08000025", "E10000028"),
    "E08000031": ("E08000030", "E08000028", "E08000027", "E10000028"),
    "S12000036": ("S12000019", "S12000010", "S12000040", "S12000047"),
}

# Postcode districts (outward codes) by area, for the fake SSDA903 HOME_POST / PL_POST.
POSTCODE_DISTRICTS: dict[str, tuple[str, ...]] = {
    "E08000025": tuple(f"B{n}" for n in range(1, 39)),
    "E08000026": tuple(f"CV{n}" for n in range(1, 8)),
    "E08000027": (*(f"DY{n}" for n in range(1, 10)), "B62", "B63"),
    "E08000028": tuple(f"B{n}" for n in range(64, 72)),
    "E08000029": tuple(f"B{n}" for n in range(90, 95)),
    "E08000030": tuple(f"WS{n}" for n in range(1, 11)),
    "E08000031": tuple(f"WV{n}" for n in range(1, 15)),
    "E10000028": (*(f"ST{n}" for n in range(1, 22)), *(f"WS{n}" for n in range(11, 16))),
    "E10000031": tuple(f"CV{n}" for n in range(8, 38)),
    "E10000034": tuple(f"WR{n}" for n in range(1, 16)),
    "S12000036": tuple(f"EH{n}" for n in range(1, 18)),
    "S12000019": tuple(f"EH{n}" for n in range(18, 27)),
    "S12000010": tuple(f"EH{n}" for n in range(31, 43)),
    "S12000040": tuple(f"EH{n}" for n in range(47, 56)),
    "S12000047": tuple(f"KY{n}" for n in range(1, 17)),
}

# First letter of GP practice ODS codes, by region (NHS England's historic regional letters).
_PRACTICE_LETTER = {
    "North East": "A",
    "North West": "P",
    "Yorkshire and The Humber": "B",
    "East Midlands": "C",
    "West Midlands": "M",
    "East of England": "D",
    "London": "F",
    "South East": "H",
    "South West": "L",
    "Scotland": "S",
    "Wales": "W",
    "Northern Ireland": "Z",
}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _region_of(code: str) -> str:
    area = all_areas().get(code)
    if area is not None:
        return area.region_name
    return {"S": "Scotland", "W": "Wales", "N": "Northern Ireland"}.get(code[:1], "West Midlands")


@cache
def near_areas(code: str) -> tuple[str, ...]:
    """Areas a child may be placed in within about 20 miles of home."""
    if code in NEIGHBOURS:
        return NEIGHBOURS[code]
    region = _region_of(code)
    same = tuple(a.code for a in _areas() if a.region_name == region and a.code != code)
    return same or far_areas(code)


@cache
def far_areas(code: str) -> tuple[str, ...]:
    """Areas more than 20 miles away: the rest of the nation's reference list."""
    area = all_areas().get(code)
    nation = area.nation if area else _region_of(code)
    near = set(NEIGHBOURS.get(code, ()))
    pool = tuple(
        a.code for a in _areas() if a.nation == nation and a.code != code and a.code not in near
    )
    if not pool:
        pool = tuple(a.code for a in _areas() if a.nation == "England" and a.code != code)
    return pool


def _areas() -> list[Area]:
    # areas.csv order (sorted by code within nation), so choices are deterministic
    return list(all_areas().values())


@cache
def districts(code: str) -> tuple[str, ...]:
    if code in POSTCODE_DISTRICTS:
        return POSTCODE_DISTRICTS[code]
    letters = "".join(
        ch for ch in (all_areas()[code].name if code in all_areas() else code) if ch.isalpha()
    ).upper()
    prefix = (letters[:2] or "ZZ").ljust(2, "Z")
    return tuple(f"{prefix}{n}" for n in range(1, 13))


def postcode(code: str, draw: float, inward: int) -> str:
    """A made-up full postcode in one of the area's districts (``draw`` in [0, 1))."""
    options = districts(code)
    district = options[int(draw * len(options))]
    letters = _INWARD_LETTERS
    return f"{district} {inward % 10}{letters[(inward // 10) % 20]}{letters[(inward // 200) % 20]}"


def practice_letter(code: str) -> str:
    return _PRACTICE_LETTER.get(_region_of(code), "M")
