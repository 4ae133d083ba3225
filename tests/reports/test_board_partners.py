"""Which areas the board report compares the home area with."""

from __future__ import annotations

import pandas as pd

from pipelines.config import load_settings
from pipelines.pipeline import MAX_BOARD_PARTNERS, board_partner_areas
from pipelines.quarters import Quarter

QUARTER = Quarter.parse("2025-26-Q2")


def _published(areas: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"area_code": areas, "quarter": QUARTER.id, "kpi_id": "HA01", "breakdown": "all"})


def test_a_configured_partner_group_is_used(tmp_path):
    groups = tmp_path / "groups.yaml"
    groups.write_text(
        "groups:\n"
        "  - name: Two councils\n    areas: [E08000025, E08000029]\n    comparator: partner average\n"
    )
    settings = load_settings(environ={}, partner_groups_file=groups)
    published = _published(["E08000025", "E08000026", "E08000029"])
    assert board_partner_areas(published, QUARTER, "E08000025", settings) == ["E08000029"]


def test_a_national_run_compares_the_home_region_only(tmp_path):
    groups = tmp_path / "groups.yaml"
    groups.write_text(  # no group holds Hartlepool: the ad-hoc group of every area is chosen
        "groups:\n"
        "  - name: Two councils\n    areas: [E08000025, E08000029]\n    comparator: partner average\n"
    )
    settings = load_settings(environ={}, partner_groups_file=groups)
    from pipelines.areas import all_areas

    english = sorted(code for code, area in all_areas().items() if area.nation == "England")
    partners = board_partner_areas(_published(english), QUARTER, "E06000001", settings)  # Hartlepool
    north_east = {code for code in english if all_areas()[code].region_code == "E12000001"}
    assert 1 <= len(partners) <= MAX_BOARD_PARTNERS
    assert set(partners) <= north_east - {"E06000001"}
