"""Where the project's own files live (SQL, data contracts, templates, reference data).

The package is installed in editable mode by the Makefile, so these resolve to the checkout.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
CONFIG_DIR = PROJECT_ROOT / "config"
PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
