"""Faults around a run: a damaged or locked warehouse, an output folder that cannot be written,
a full disk, and a run interrupted at each step. Each gives a clear message and exit code
(never a traceback), writes nothing half-way, and a rerun with the same extracts gives the
same result as a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.config import load_settings
from pipelines.contracts.gx_suites import ContractResult
from pipelines.pipeline import run_refresh
from pipelines.preflight import (
    BYTES_PER_EXTRACT,
    BYTES_PER_INPUT_BYTE,
    FIXED_BYTES,
    estimate_output_bytes,
)
from pipelines.synth import generate

ROOT = Path(__file__).resolve().parents[2]
REBUILD = "move the file aside and rerun `lac-health run` with the same extracts"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracts")
    # One area, with the earlier as-at extract the generator writes for revisions.
    generate(root, areas=["E08000025"], quarters=5, children=25, seed=11)
    return root


def _settings(extracts: Path, out: Path):
    return load_settings(None, environ={}, extracts_dir=extracts, out_dir=out)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> dict[str, str]:
    """Every table of the warehouse, sorted, as a digest."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()
        return {name: hashlib.sha256(con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
                                     .to_csv(index=False).encode()).hexdigest() for (name,) in tables}


Reference = namedtuple("Reference", "out kpis_csv kpis_parquet warehouse")


@pytest.fixture(scope="module")
def reference(extracts: Path, tmp_path_factory) -> Reference:
    """An uninterrupted run: what every recovered run must equal."""
    out = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patched:
        _lean(patched, reports=False)
        run_refresh(_settings(extracts, out))
    return Reference(out, _digest(out / "kpis.csv"), _digest(out / "kpis.parquet"),
                     fingerprint(out / "warehouse.duckdb"))


def _outputs(out: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in out.iterdir() if p.is_file()}


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text


# --- the warehouse ----------------------------------------------------------------------------


def _damaged_copy(reference: Reference, tmp_path: Path, damage) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference.out, out)
    damage(out / "warehouse.duckdb")
    return out


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(300_000))


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [_random_bytes, _cut_in_half], ids=["random-bytes", "truncated"])
def test_a_damaged_warehouse_says_how_to_rebuild(damage, extracts: Path, reference: Reference, tmp_path: Path,
                                                 capsys, monkeypatch) -> None:
    out = _damaged_copy(reference, tmp_path, damage)
    before = {name: digest for name, digest in _outputs(out).items() if name != "warehouse.duckdb"}
    _lean(monkeypatch, reports=False)
    code = main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "the warehouse" in captured.err and REBUILD in captured.err
    _no_traceback(captured.err + captured.out)
    # No published output was touched.
    after = {name: digest for name, digest in _outputs(out).items() if name in before}
    assert after == before
    if damage is _random_bytes:
        # The procedure works: moved aside, the rerun rebuilds the same warehouse.
        (out / "warehouse.duckdb").rename(out / "warehouse.damaged")
        assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 0
        assert fingerprint(out / "warehouse.duckdb") == reference.warehouse
        assert _digest(out / "kpis.csv") == reference.kpis_csv


_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS audit.lock_probe (x INTEGER)")
print("holding", flush=True)
time.sleep(120)
"""


def test_a_locked_warehouse_gives_a_clear_message(extracts: Path, reference: Reference, tmp_path: Path,
                                                   capsys) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference.out, out)
    before = _outputs(out)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out / "warehouse.duckdb")],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "holding"
        code = main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)])
        captured = capsys.readouterr()
        assert code == 1
        assert "is in use by another lac-health run" in captured.err and REBUILD in captured.err
        _no_traceback(captured.err + captured.out)
        assert main(["--quiet", "revisions", "--out", str(out)]) == 1  # read-only commands too
        _no_traceback(capsys.readouterr().err)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    published = lambda outputs: {k: v for k, v in outputs.items() if not k.startswith("warehouse.")}  # noqa: E731
    assert published(_outputs(out)) == published(before)


# --- the output folder and the disk -----------------------------------------------------------


def test_the_estimate_is_written_down(tmp_path: Path) -> None:
    for area, as_at, size in (("E08000025", "2025-03-31", 1000), ("E08000026", "2025-03-31", 2000)):
        folder = tmp_path / area / as_at
        folder.mkdir(parents=True)
        (folder / "children.csv").write_bytes(b"x" * size)
        (folder / "readme.txt").write_bytes(b"not an extract" * 100)
    estimate = estimate_output_bytes(tmp_path)
    assert estimate.input_bytes == 3000 and estimate.extracts == 2
    # 64 MB fixed, 6 bytes per input byte, 1.1 MB per as-at extract.
    assert estimate.needed_bytes == 64 * 2**20 + 6 * 3000 + 2 * (2**20 + 2**20 // 10)
    assert (FIXED_BYTES, BYTES_PER_INPUT_BYTE, BYTES_PER_EXTRACT) == (64 * 2**20, 6, 2**20 + 2**20 // 10)


def _run_cli(extracts: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)])
    captured = capsys.readouterr()
    _no_traceback(captured.out + captured.err)
    return code, captured.err


def test_a_full_disk_is_refused_before_anything_is_written(extracts: Path, reference: Reference, tmp_path: Path,
                                                          capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference.out, out)
    before = _outputs(out)
    usage = shutil.disk_usage(out)
    monkeypatch.setattr("pipelines.preflight.shutil.disk_usage",
                        lambda path: type(usage)(usage.total, usage.total - 10 * 2**20, 10 * 2**20))
    code, err = _run_cli(extracts, out, capsys)
    assert code == 1
    assert "not enough free space" in err and "only 10 MB is free" in err
    assert "nothing has been written" in err
    assert _outputs(out) == before  # earlier outputs as they were, nothing new


def test_an_output_folder_under_a_file_is_refused(extracts: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    code, err = _run_cli(extracts, blocker / "out", capsys)
    assert code == 2
    assert "cannot be written" in err and "Nothing has been written" in err


def test_an_unwritable_output_folder_is_refused(extracts: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pipelines.preflight.tempfile.mkstemp", refuse)
    code, err = _run_cli(extracts, out, capsys)
    assert code == 2
    assert f"the output folder {out} cannot be written (Permission denied)" in err
    assert list(out.iterdir()) == []


@contextlib.contextmanager
def _tmpfs(where: Path, options: str):
    """A small tmpfs mounted for the test (root only): a real full or read-only disk."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_small_disk_is_refused_before_anything_is_written(extracts: Path, tmp_path: Path, capsys) -> None:
    with _tmpfs(tmp_path / "disk", "size=2m") as disk:
        code, err = _run_cli(extracts, disk / "out", capsys)
        assert code == 1 and "not enough free space" in err
        assert list((disk / "out").iterdir()) == []


def test_a_real_read_only_disk_is_refused(extracts: Path, tmp_path: Path, capsys) -> None:
    with _tmpfs(tmp_path / "disk", "ro,size=2m") as disk:
        code, err = _run_cli(extracts, disk, capsys)
        assert code == 2 and "Read-only file system" in err


def test_a_disk_that_fills_during_the_run_fails_cleanly(extracts: Path, tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """When the estimate is wrong (something else filled the disk meanwhile): no traceback,
    no half-written file, and the message says what to do."""
    monkeypatch.setattr("pipelines.preflight.check_free_space", lambda *_args, **_kwargs: None)
    _lean(monkeypatch, reports=True)
    with _tmpfs(tmp_path / "disk", "size=3m") as disk:
        code, err = _run_cli(extracts, disk / "out", capsys)
        assert code == 1
        assert "No space left on device" in err and "rerun with the same extracts" in err
        assert not [p for p in (disk / "out").iterdir() if p.name.endswith(".tmp")]


# --- interrupted runs -------------------------------------------------------------------------


class Interrupted(RuntimeError):
    pass


def _fail_on_call(number: int, real):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise Interrupted(f"interrupted at call {number}")
        return real(*args, **kwargs)

    return wrapper


def _interrupt_ingest(monkeypatch) -> None:
    import pipelines.warehouse

    # Inside the second extract's load transaction (one extract per transaction), after some
    # of its tables were replaced.
    monkeypatch.setattr("pipelines.pipeline.LOAD_BATCH_ROWS", 1)
    real = pipelines.warehouse._replace_rows
    monkeypatch.setattr("pipelines.warehouse._replace_rows", _fail_on_call(20, real))


def _interrupt_kpis(monkeypatch) -> None:
    import pipelines.kpis

    # Between the staging models and the KPI SQL of the first computation.
    monkeypatch.setattr("pipelines.kpis._run_kpi_sql", _fail_on_call(1, pipelines.kpis._run_kpi_sql))


def _interrupt_publishing(monkeypatch) -> None:
    import pipelines.outputs

    # kpis.csv written, kpis.parquet not.
    monkeypatch.setattr("pipelines.outputs.write_atomic", _fail_on_call(2, pipelines.outputs.write_atomic))


def _interrupt_reports(monkeypatch) -> None:
    import reports.workbook

    # The board HTML written, the workbook not.
    monkeypatch.setattr("reports.workbook.write_workbook", _fail_on_call(1, reports.workbook.write_workbook))


def _lean(monkeypatch, reports: bool) -> None:
    """Runs that skip what the comparison does not read, to keep the suite fast: Great
    Expectations (it changes no row: test_bad_extracts) and, unless ``reports``, the report
    files (they only read the warehouse; their own atomic writes are the reports case here)."""
    import pipelines.ingest

    real = pipelines.ingest.ingest_folder
    monkeypatch.setattr("pipelines.ingest.ingest_folder", lambda folder, run_gx=True: real(folder, run_gx=False))
    monkeypatch.setattr("pipelines.contracts.gx_process.validate_frame",
                        lambda contract, frame: ContractResult(contract.table, contract.contract_version, True))
    if not reports:
        monkeypatch.setattr("pipelines.pipeline.write_reports", lambda data, settings: [])


@pytest.mark.parametrize("interrupt", [_interrupt_ingest, _interrupt_kpis, _interrupt_publishing, _interrupt_reports],
                         ids=["ingest", "kpis", "publishing", "reports"])
def test_an_interrupted_run_reruns_to_the_same_result(interrupt, extracts: Path, reference: Reference,
                                                      tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    reports = interrupt is _interrupt_reports
    _lean(monkeypatch, reports)
    with monkeypatch.context() as patched:
        interrupt(patched)
        with pytest.raises(Interrupted):
            run_refresh(_settings(extracts, out))
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # nothing half-written
    if reports:
        assert list(out.glob("report-*.html")) and not list(out.glob("report-*.xlsx"))
    run_refresh(_settings(extracts, out))
    assert _digest(out / "kpis.csv") == reference.kpis_csv
    assert _digest(out / "kpis.parquet") == reference.kpis_parquet
    assert fingerprint(out / "warehouse.duckdb") == reference.warehouse
    if reports:
        assert list(out.glob("report-*.xlsx")) and list(out.glob("report-*.html"))


@pytest.mark.slow
def test_a_killed_run_reruns_to_the_same_result(extracts: Path, reference: Reference, tmp_path: Path) -> None:
    """SIGKILL while the KPIs are computed: no Python clean-up runs, DuckDB recovers from its
    write-ahead log, and the rerun gives the reference result."""
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--extracts", str(extracts),
                              "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 300
        for line in child.stderr:
            if "computing KPIs" in line or time.monotonic() > deadline:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with pytest.MonkeyPatch.context() as patched:
        _lean(patched, reports=False)
        run_refresh(_settings(extracts, out))
    assert _digest(out / "kpis.csv") == reference.kpis_csv
    assert fingerprint(out / "warehouse.duckdb") == reference.warehouse
