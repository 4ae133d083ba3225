"""The benchmark scales and their generated extracts, cached between runs.

Generating the national extracts takes a minute or more, so each scale's extracts are kept
under ``benchmarks/work/<scale>/extracts`` (git-ignored) with a manifest of the arguments
and of the generator's source: a rerun with the same arguments and the same generator
reuses them, anything else regenerates them from scratch.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.areas import all_areas

WORK_DIR = Path(__file__).resolve().parent / "work"
# A fixed end quarter keeps the extracts (and so the timings) independent of today's date.
END_QUARTER = "2025-26-Q2"
SEED = 2024
MANIFEST = "bench-manifest.json"


@dataclass(frozen=True)
class Scale:
    name: str
    description: str
    areas: tuple[str, ...]
    children: int  # children looked after in an average area (the generator's ``children``)
    quarters: int = 8
    revisions: bool = True  # the first area also sends the extract of a quarter earlier
    seed: int = SEED
    end_quarter: str = END_QUARTER

    def generator_arguments(self) -> dict[str, object]:
        return {
            "areas": list(self.areas),
            "children": self.children,
            "quarters": self.quarters,
            "revisions": self.revisions,
            "seed": self.seed,
            "end_quarter": self.end_quarter,
        }


def english_areas() -> tuple[str, ...]:
    """Every English authority of the reference list, by code."""
    return tuple(sorted(code for code, area in all_areas().items() if area.nation == "England"))


def _scales() -> dict[str, Scale]:
    national = english_areas()
    return {
        "smoke": Scale(
            "smoke", "two metropolitan districts, a few dozen children each (for the test suite)",
            areas=("E08000025", "E08000026"), children=40, quarters=5, revisions=False,
        ),
        # The generator scales ``children`` by each area's drawn size factor (Kent's is 0.89
        # with this seed), so 2,240 gives a stock of about 2,000 looked after.
        "area": Scale(
            "area", "one large authority (Kent), about 2,000 children looked after",
            areas=("E10000016",), children=2240,
        ),
        "national": Scale(
            "national", f"every English authority of the reference list ({len(national)}), "
            "about 83,000 children looked after at once",
            areas=national, children=545,
        ),
        "national-x10": Scale(
            "national-x10", "the national scale with ten times the children in every authority",
            areas=national, children=5450,
        ),
    }


SCALES = _scales()


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale '{name}': expected one of {', '.join(SCALES)}") from None


def generator_fingerprint() -> str:
    """A hash of the generator's source: changed code means the cached extracts are stale."""
    import pipelines.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class PreparedExtracts:
    scale: str
    path: Path  # the extracts root: <area_code>/<as_at>/*.csv
    files: int
    rows: int  # data rows over every file, headers excluded
    bytes: int
    generated: bool  # False when the cache was reused
    generate_seconds: float | None


def prepare_extracts(scale: Scale, work_dir: Path = WORK_DIR) -> PreparedExtracts:
    """The scale's extracts under ``work_dir/<scale>/extracts``, generated unless cached."""
    import time

    from pipelines.quarters import Quarter
    from pipelines.synth import generate

    folder = Path(work_dir) / scale.name
    extracts = folder / "extracts"
    manifest_path = folder / MANIFEST
    wanted = {"arguments": scale.generator_arguments(), "generator": generator_fingerprint()}
    if manifest_path.is_file() and extracts.is_dir():
        cached = json.loads(manifest_path.read_text(encoding="utf-8"))
        if {key: cached.get(key) for key in wanted} == wanted:
            return PreparedExtracts(scale.name, extracts, cached["files"], cached["rows"],
                                    cached["bytes"], False, None)
    if extracts.exists():
        shutil.rmtree(extracts)
    manifest_path.unlink(missing_ok=True)
    started = time.perf_counter()
    synth = generate(
        extracts, areas=list(scale.areas), quarters=scale.quarters, children=scale.children,
        seed=scale.seed, end_quarter=Quarter.parse(scale.end_quarter), revisions=scale.revisions,
    )
    seconds = time.perf_counter() - started
    files = len(synth.files)
    rows = sum(item.rows for item in synth.files)
    size = sum(Path(item.path).stat().st_size for item in synth.files)
    # Written last, so an interrupted generation is never mistaken for a complete one.
    manifest_path.write_text(
        json.dumps({**wanted, "files": files, "rows": rows, "bytes": size,
                    "generate_seconds": round(seconds, 2), "scale": asdict(scale)}, indent=2),
        encoding="utf-8",
    )
    return PreparedExtracts(scale.name, extracts, files, rows, size, True, seconds)
