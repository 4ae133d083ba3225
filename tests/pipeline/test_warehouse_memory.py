"""DuckDB's memory is capped (LAC_HEALTH_DUCKDB_MEMORY, default 1GB): it spills rather than
holding most of the machine, and a wrong value is a clear message, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.warehouse import DEFAULT_MEMORY_LIMIT, WarehouseError, connect


def _limit(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_the_default_caps_duckdb_at_one_gigabyte(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LAC_HEALTH_DUCKDB_MEMORY", raising=False)
    assert DEFAULT_MEMORY_LIMIT == "1GB"
    with connect(tmp_path / "w.duckdb") as con:
        assert _limit(con) == "953.6 MiB"  # 10^9 bytes, as DuckDB shows it


def test_the_environment_sets_another_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LAC_HEALTH_DUCKDB_MEMORY", "500MB")
    with connect(tmp_path / "w.duckdb") as con:
        assert _limit(con) == "476.8 MiB"


def test_a_limit_duckdb_cannot_read_is_refused_with_what_to_give(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LAC_HEALTH_DUCKDB_MEMORY", "lots'; DROP TABLE x; --")
    with pytest.raises(WarehouseError, match=r"LAC_HEALTH_DUCKDB_MEMORY=.* give one like 1GB"), \
            connect(tmp_path / "w.duckdb"):
        pass


def test_releasing_the_cache_keeps_the_data_and_the_limit(tmp_path: Path, monkeypatch) -> None:
    from pipelines.warehouse import release_cache

    monkeypatch.delenv("LAC_HEALTH_DUCKDB_MEMORY", raising=False)
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE t AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(2000000)")
        con.execute("CHECKPOINT")
        total = con.execute("SELECT sum(n), count(DISTINCT s) FROM t").fetchone()
        cached = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
        release_cache(con)
        assert con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] < cached
        assert _limit(con) == "953.6 MiB"
        assert con.execute("SELECT sum(n), count(DISTINCT s) FROM t").fetchone() == total
