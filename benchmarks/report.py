"""The benchmark's results: the targets they are judged against, and the Markdown summary.

The JSON file is the record (every stage, sub-stage, reference point and the machine); the
Markdown file is the table a person reads. Both are written to ``benchmarks/results/`` as
``<date>-<scale>.json`` and ``<date>-<scale>.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GB = 1024**3
MB = 1024**2


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    scales: tuple[str, ...] | None  # None: judged at every scale
    measure: Callable[[dict], float | None]  # the measured value (None: not measured)
    limit: float
    unit: str
    at_least: bool = False  # the value must be >= limit (else <= limit)

    lower_bound: Callable[[dict], float | None] | None = None  # what an unfinished run reached

    def judge(self, results: dict) -> dict[str, object] | None:
        if self.scales is not None and results["scale"]["name"] not in self.scales:
            return None
        value = self.measure(results)
        judged: dict[str, object] = {"target": self.key, "text": self.text, "limit": self.limit,
                                     "unit": self.unit, "measured": None, "met": None}
        if value is not None:
            met = value >= self.limit if self.at_least else value <= self.limit
            judged.update(measured=round(value, 3), met=met)
        elif self.lower_bound is not None and (bound := self.lower_bound(results)) is not None:
            # An unfinished run already past an upper limit has missed it, whatever remained.
            judged.update(measured=round(bound, 3), at_least_measured=True,
                          met=False if not self.at_least and bound > self.limit else None)
        return judged


def _finished(results: dict) -> bool:
    run = results.get("pipeline") or {}
    return bool(run.get("finished"))


def _end_to_end(results: dict) -> float | None:
    return (results.get("pipeline") or {}).get("end_to_end_seconds") if _finished(results) else None


def _elapsed(results: dict) -> float | None:
    return (results.get("pipeline") or {}).get("elapsed_seconds")


def _elapsed_floor_ratio(results: dict) -> float | None:
    seconds = (results.get("floor") or {}).get("seconds")
    elapsed = _elapsed(results)
    return elapsed / seconds if elapsed and seconds else None


def _peak_gb(results: dict) -> float | None:
    run = results.get("pipeline") or {}
    peak = run.get("peak_rss_bytes")
    return peak / GB if peak and run.get("finished") else None


def _peak_gb_so_far(results: dict) -> float | None:
    peak = (results.get("pipeline") or {}).get("peak_rss_bytes")
    return peak / GB if peak else None


def _floor_ratio(results: dict) -> float | None:
    seconds = (results.get("floor") or {}).get("seconds")
    total = _end_to_end(results)
    return total / seconds if total and seconds else None


def _stage_cpu_seconds(results: dict, name: str) -> float | None:
    """A stage's CPU time, once it has completed at least one call (a crash later does not matter)."""
    for stage in (results.get("pipeline") or {}).get("stages", []):
        if stage["name"] == name and stage.get("calls", 1):
            return stage.get("cpu_seconds")
    return None


def _kpi_speedup(results: dict) -> float | None:
    """The KPI stage against the pandas baseline on equal work: CPU seconds per KPI figure.

    The two do not compute the same amount: the baseline gives 4 KPIs, breakdown ``all``
    (``rows_compared`` figures), the KPI stage every KPI with all its breakdowns, for the
    same areas and quarters, plus the restated earlier extract and the snapshots
    (``kpi_result_rows`` figures, counting only the report's own results). Per figure, CPU
    time (wall time on a shared machine is mostly other people's work), the comparison is
    fair to pandas: the SQL's extra work is counted against it."""
    baseline = results.get("baseline") or {}
    seconds, figures = baseline.get("compute_cpu_seconds"), baseline.get("rows_compared")
    kpis = _stage_cpu_seconds(results, "stage + KPIs")
    sql_figures = ((results.get("pipeline") or {}).get("data") or {}).get("kpi_result_rows")
    if not (seconds and figures and kpis and sql_figures):
        return None
    return (seconds / figures) / (kpis / sql_figures)


def _help_seconds(results: dict) -> float | None:
    return (results.get("help") or {}).get("best_seconds")


def _national_seconds(results: dict) -> float | None:
    return (results.get("compared_with") or {}).get("national_end_to_end_seconds")


def _national_ratio(results: dict) -> float | None:
    national, total = _national_seconds(results), _end_to_end(results)
    return total / national if total and national else None


def _elapsed_national_ratio(results: dict) -> float | None:
    national, elapsed = _national_seconds(results), _elapsed(results)
    return elapsed / national if elapsed and national else None


# Issue 17's targets: end to end within 5x the floor (national and area), national peak
# under 2 GB, national-x10 within 12x the national time and under 4 GB, the KPI stage at least
# as fast as the pandas baseline on equal work.
TARGETS = (
    Target("national_memory", "national peak memory under 2 GB", ("national",), _peak_gb, 2, "GB",
           lower_bound=_peak_gb_so_far),
    Target("floor_ratio", "end to end within 5× the floor", ("national", "area"), _floor_ratio, 5, "×",
           lower_bound=_elapsed_floor_ratio),
    Target("kpi_speedup", "KPI stage at least as fast as the pandas baseline on equal work (CPU per KPI figure)",
           None, _kpi_speedup, 1, "×", at_least=True),
    Target("x10_ratio", "national-x10 within 12× the national time", ("national-x10",), _national_ratio,
           12, "×", lower_bound=_elapsed_national_ratio),
    Target("x10_memory", "national-x10 peak memory under 4 GB", ("national-x10",), _peak_gb, 4, "GB",
           lower_bound=_peak_gb_so_far),
    Target("help", "lac-health --help under 1 s", None, _help_seconds, 1, "s"),
)


def judge_targets(results: dict) -> list[dict[str, object]]:
    return [judged for target in TARGETS if (judged := target.judge(results)) is not None]


def latest_result(results_dir: Path, scale: str) -> dict | None:
    """The most recent finished result of ``scale`` in ``results_dir`` (by file name date)."""
    for path in sorted(Path(results_dir).glob(f"*-{scale}.json"), reverse=True):
        if not path.name[:10].replace("-", "").isdigit():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("scale", {}).get("name") == scale and (data.get("pipeline") or {}).get("finished"):
            return data
    return None


# --- Markdown ----------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _rate(rows: int, seconds: float | None) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "–"


def markdown(results: dict) -> str:
    scale, machine, run = results["scale"], results["machine"], results.get("pipeline") or {}
    data = run.get("data") or {}
    rows = results["extracts"]["rows"]
    lines = [
        f"# lac-health benchmark: {scale['name']} ({results['date']})",
        "",
        f"{scale['description']}: {len(scale['areas'])} areas, {scale['quarters']} quarters, "
        f"{rows:,} input rows in {results['extracts']['files']:,} files "
        f"({results['extracts']['bytes'] / MB:,.1f} MB)"
        + (f"; {data['looked_after_at_quarter_end']:,} children looked after at the end of "
           f"{data['report_quarter']}." if data.get("looked_after_at_quarter_end") else "."),
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gb']} GB; "
        f"Python {machine['python']}, DuckDB {machine['duckdb']}, pandas {machine['pandas']}."
        + (f" Code: commit {results['code']['commit'][:7]}"
           f"{' with local changes' if results['code'].get('modified_files') else ''}."
           if (results.get("code") or {}).get("commit") else ""),
    ]
    load = results.get("machine_load") or {}
    if "other_cores_busy_on_average" in load:
        lines.append(
            f"Other processes kept {load['other_cores_busy_on_average']} cores busy on average during "
            f"the benchmark (load average {load['loadavg_start'][0]} → {load['loadavg_end'][0]}): "
            "wall times are inflated by that sharing; CPU times much less so."
        )
    if not run.get("finished"):
        lines += ["", f"**The run did not finish**: stopped after {_number(run.get('elapsed_seconds'))} s "
                      f"({run.get('stopped_because', 'unknown reason')}); the stages below are as far as it got."]
    lines += ["", "| stage | wall s | CPU s | % of end to end | input rows/s | peak RSS MB |",
              "|---|---:|---:|---:|---:|---:|"]
    total = run.get("end_to_end_seconds") or run.get("elapsed_seconds")
    for stage in run.get("stages", []):
        name = stage["name"] if stage["parent"] is None else f"  ↳ {stage['name'].split(': ', 1)[-1]}"
        if stage.get("running_seconds") is not None:
            name += f" (still running: {stage['running_seconds']:,.0f} s into a call when stopped)"
        share = f"{100 * stage['wall_seconds'] / total:.0f}" if total else "–"
        lines.append(f"| {name} | {_number(stage['wall_seconds'], 2)} | {_number(stage['cpu_seconds'], 2)} | "
                     f"{share} | {_rate(rows, stage['wall_seconds'])} | {_number(stage['peak_rss_mb'], 0)} |")
    if run.get("other_seconds") is not None:
        lines.append(f"| other (settings, schema, between stages) | {_number(run['other_seconds'], 2)} | | | | |")
    lines.append(f"| **end to end** | **{_number(total, 2)}** | **{_number(run.get('cpu_seconds'), 2)}** | 100 | "
                 f"{_rate(rows, total)} | **{_number((run.get('peak_rss_bytes') or 0) / MB, 0)}** |")
    floor, baseline, help_ = results.get("floor") or {}, results.get("baseline") or {}, results.get("help") or {}
    lines += ["", "| reference point | wall s | CPU s | peak RSS MB | note |", "|---|---:|---:|---:|---|"]
    if floor:
        lines.append(f"| floor: DuckDB read_csv of the same files | {_number(floor.get('seconds'), 2)} | "
                     f"{_number(floor.get('cpu_seconds'), 2)} | {_number((floor.get('peak_rss_bytes') or 0) / MB, 0)} | "
                     f"{floor.get('rows', 0):,} rows |")
    if baseline:
        agree = "numerators and denominators equal the SQL" if baseline.get("matches_sql") else \
            f"**differs from the SQL in {baseline.get('rows_different')} of {baseline.get('rows_compared')} rows**"
        lines.append(f"| pandas baseline: IHA02, RHA01, GP01, CAM02 | {_number(baseline.get('compute_seconds'), 2)} | "
                     f"{_number(baseline.get('compute_cpu_seconds'), 2)} | "
                     f"{_number((baseline.get('peak_rss_bytes') or 0) / MB, 0)} | compute only "
                     f"(+{_number(baseline.get('load_seconds'), 2)} s loading frames); {agree} |")
    if help_:
        lines.append(f"| `lac-health --help` | {_number(help_.get('best_seconds'), 2)} | | | best of "
                     f"{len(help_.get('runs', []))} |")
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for judged in results.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[judged["met"]]
        at_least = "≥ " if judged.get("at_least_measured") else ""
        lines.append(f"| {judged['text']} | {at_least}{_number(judged['measured'], 2)} {judged['unit']} | {met} |")
    lines += ["", "Times are wall-clock seconds of a single run; CPU is user + system time of all threads. "
                  "Peak RSS is the whole process tree's resident memory, sampled every 50 ms "
                  "(and the kernel's own peak for the main process). "
                  "Produced by `python -m benchmarks.run --scale " + scale["name"] + "`; docs/scaling.md "
                  "explains the stages and what dominates them.", ""]
    return "\n".join(lines)
