from pathlib import Path

import pytest

from pipelines.config import ConfigError, load_settings
from pipelines.quarters import Quarter


def test_defaults_need_no_configuration():
    settings = load_settings(environ={})
    assert settings.audience == "board"
    assert settings.warehouse == settings.out_dir / "warehouse.duckdb"


def test_precedence_file_then_environment_then_options(tmp_path: Path):
    config = tmp_path / "lac.yaml"
    config.write_text("audience: internal\nquarter: 2024-25-Q2\nhome_area: E08000025\n")
    settings = load_settings(config, environ={"LAC_HEALTH_QUARTER": "2024-25-Q3"}, home_area="E08000026")
    assert settings.audience == "internal"
    assert settings.quarter == Quarter.parse("2024-25-Q3")
    assert settings.home_area == "E08000026"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("audience: public\n", "audience must be one of"),
        ("home_area: Birmingham\n", "9-character ONS code"),
        ("quarter: 2024 Q3\n", "not a quarter id"),
        ("colour: blue\n", "unknown settings colour"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_invalid_values_are_explained(tmp_path: Path, content: str, words: str):
    config = tmp_path / "lac.yaml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=words):
        load_settings(config, environ={})


def test_missing_config_file_is_explained(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml", environ={})
