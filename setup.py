"""Build hook: the wheel carries the project's SQL, data contracts and default config.

They stay in the top-level folders ``sql/``, ``data_contracts/`` and ``config/`` of the checkout
(where people read and edit them); setuptools cannot map a folder outside a package as package
data, so ``build_py`` copies each into ``pipelines/_bundled/`` of the built wheel, where
``pipelines.paths`` finds them with importlib.resources. An editable install skips the copy:
``pipelines.paths`` then reads the checkout itself, so an edited SQL file takes effect at once.
Everything else (packages, package data, metadata) is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder of the checkout -> folder under pipelines/_bundled/ (keep in step with pipelines/paths.py)
BUNDLED = ("sql", "data_contracts", "config")
_COPIED = ("*.sql", "*.yaml", "*.yml", "*.csv", "*.md")


class BuildPyWithBundledData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pipelines" / "_bundled"
        for name in BUNDLED:
            if not (ROOT / name).is_dir():  # a wheel without them would install but not run
                raise SystemExit(f"setup.py: the folder {name}/ is missing from {ROOT}")
            destination = target / name
            shutil.rmtree(destination, ignore_errors=True)
            for source in sorted((ROOT / name).rglob("*")):
                if source.is_file() and any(source.match(pattern) for pattern in _COPIED):
                    copied = destination / source.relative_to(ROOT / name)
                    copied.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, copied)


setup(cmdclass={"build_py": BuildPyWithBundledData})
