"""The wheel is the package: built from the checkout and installed elsewhere, it runs the demo.

Issue 18: ``sql/``, ``data_contracts/`` and ``config/`` are top-level folders of the checkout
that setup.py copies into the wheel (``pipelines/_bundled``); reports' templates and vendored
plotly are package data. This test builds the wheel from a copy of the checkout's files,
deletes the copy, installs the wheel into a fresh venv and runs ``lac-health demo`` from
another folder, so nothing can be read from a checkout beside the installed package.

To stay quick (about 25 s), the fresh venv installs the wheel with ``--no-deps`` and borrows
the project venv's third-party packages through a ``.pth`` line. A plain path line in a
``.pth`` file adds that folder to sys.path without running the ``.pth`` files in it, so the
editable install's finder (which maps ``pipelines`` to the checkout) is not loaded; the test
checks that ``pipelines`` is imported from the fresh venv. scripts/check-wheel.sh does the
slow, complete check: a fresh venv with the lock file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pandas as pd
import pytest

from pipelines.kpi_catalogue import KPIS
from pipelines.paths import PROJECT_ROOT

# What a build needs from the checkout; tests, docs and benchmarks stay out of the wheel.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "pipelines", "reports", "sql",
                "data_contracts", "config")


def _clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-cache-dir",
         "--wheel-dir", str(dist), str(source)],
        check=True, cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
    )
    shutil.rmtree(source)  # nothing of the build is left for the installed package to find
    [wheel] = dist.glob("lac_health-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # The project venv's third-party packages, as a plain path (see the module docstring).
    (Path(purelib) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel)],
        check=True, env=_clean_env(), capture_output=True, text=True,
    )
    return home


@pytest.mark.slow
def test_wheel_installed_elsewhere_runs_the_demo(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    home = _fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = subprocess.run(
        [str(home / "bin" / "python"), "-c",
         "import pipelines, reports, pipelines.paths as p; "
         "print(pipelines.__file__); print(reports.__file__); print(p.SQL_DIR); "
         "print(p.CONTRACTS_DIR); print(p.CONFIG_DIR)"],
        check=True, cwd=elsewhere, env=_clean_env(), capture_output=True, text=True,
    ).stdout.split()
    for path in where:
        assert Path(path).resolve().is_relative_to(home.resolve()), where  # not the checkout

    out = elsewhere / "demo"
    done = subprocess.run(
        [str(home / "bin" / "lac-health"), "--quiet", "demo", "--out", str(out),
         "--areas", "2", "--quarters", "2", "--children", "40"],
        cwd=elsewhere, env=_clean_env(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    kpis = pd.read_csv(out / "kpis.csv")
    assert kpis["area_code"].nunique() == 2 and set(kpis["kpi_id"]) == {k.id for k in KPIS}
    assert list(out.glob("report-*.html")) and list(out.glob("partners-*.html"))
    assert list(out.glob("validation-*.html"))
