"""Where the project's own files live (SQL, data contracts, default config, reference data).

``sql/``, ``data_contracts/`` and ``config/`` are top-level folders of the checkout. A wheel
carries copies of them in ``pipelines/_bundled/`` (setup.py's build step), so an installed
``lac-health`` needs no checkout; an editable install (the Makefile's) has no such copies and
reads the checkout, so an edited SQL file takes effect without reinstalling. The bundled copy
wins when it exists: an installed wheel must never read some checkout that happens to sit
beside site-packages.
"""

from importlib.resources import as_file, files
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout's root in an editable install; in an installed wheel, site-packages (nothing
# there is read: every folder below is found in the bundle first).
PROJECT_ROOT = PACKAGE_DIR.parent
BUNDLED_FOLDERS = ("sql", "data_contracts", "config")


def project_folder(name: str) -> Path:
    """The folder ``name`` (one of BUNDLED_FOLDERS): the wheel's bundled copy, else the checkout's."""
    if name not in BUNDLED_FOLDERS:
        raise ValueError(f"'{name}' is not one of the folders the package carries: {BUNDLED_FOLDERS}")
    bundled = files("pipelines").joinpath("_bundled", name)
    if bundled.is_dir():
        # A wheel installs as plain files, so as_file returns the path itself (no temporary copy).
        with as_file(bundled) as path:
            return Path(path)
    return PROJECT_ROOT / name


SQL_DIR = project_folder("sql")
CONTRACTS_DIR = project_folder("data_contracts")
CONFIG_DIR = project_folder("config")
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
