"""``python -m benchmarks.run --scale area|national|national-x10|smoke`` (``make bench``).

1. Generates the scale's extracts with the project's synthetic generator into
   ``benchmarks/work/<scale>/extracts`` (reused while the arguments and generator match).
2. Times ``lac-health --help``.
3. Measures the floor (DuckDB read_csv of the same files), then the full ``lac-health run``
   stage by stage, then the pandas baseline on the run's warehouse — each in a process of
   its own, so that each peak memory is its own and a run can be stopped at its time limit.
4. Writes ``benchmarks/results/<date>-<scale>.json`` and ``.md`` and prints the Markdown.

``--profile`` runs the pipeline once more under pyinstrument (not a project dependency:
install it into the venv for the session) and writes the profile next to the results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from benchmarks.measure import MachineLoad, machine_info
from benchmarks.report import judge_targets, latest_result, markdown
from benchmarks.scales import SCALES, WORK_DIR, get_scale, prepare_extracts
from benchmarks.timed_run import TOP_LEVEL_STAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_TIMEOUT = {"smoke": 300, "area": 600, "national": 1800, "national-x10": 1500}
HELP_RUNS = 3


def _environment() -> dict[str, str]:
    """The workers' environment: the project importable, and no LAC_HEALTH_* setting that
    would make the measured run differ from a plain ``lac-health run``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAC_HEALTH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def code_version() -> dict[str, object]:
    """The commit measured and whether the working tree differed from it (read-only git)."""
    def git(*arguments: str) -> str | None:
        try:
            done = subprocess.run(["git", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"),
            "modified_files": None if status is None else len([line for line in status.splitlines() if line])}


def _shown(path: Path) -> str:
    """A path as recorded in the results: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _worker(arguments: list[str], result: Path, timeout: float) -> tuple[dict, float, str | None]:
    """Run one worker; returns its JSON result, its wall time and why it stopped early, if it did."""
    result.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.worker", *arguments], cwd=PROJECT_ROOT, env=_environment(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    stopped = None
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The worker leads its own process group: stop it and anything it started.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, stderr = process.communicate()
        stopped = f"time limit of {timeout:.0f} s reached"
    seconds = time.perf_counter() - started
    if stopped is None and process.returncode != 0:
        stopped = f"exit code {process.returncode}: {stderr.strip().splitlines()[-1] if stderr.strip() else ''}"
    data = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else {}
    return data, seconds, stopped


def time_help(runs: int = HELP_RUNS) -> dict[str, object]:
    """``lac-health --help`` as a user runs it (the console script, or the module)."""
    script = Path(sys.executable).parent / "lac-health"
    command = [str(script), "--help"] if script.is_file() else [sys.executable, "-m", "pipelines.cli", "--help"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=PROJECT_ROOT, env=_environment(), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        times.append(round(time.perf_counter() - started, 3))
    return {"command": " ".join(Path(part).name if i == 0 else part for i, part in enumerate(command)),
            "runs": times, "best_seconds": min(times)}


def _pipeline_summary(data: dict, seconds: float, stopped: str | None) -> dict:
    run = dict(data)
    run["finished"] = bool(data.get("finished")) and stopped is None and data.get("exit_code") == 0
    run["process_seconds"] = round(seconds, 3)
    if stopped or data.get("exit_code") not in (0, None):
        run["stopped_because"] = stopped or data.get("error") or f"lac-health exited with {data.get('exit_code')}"
    if run["finished"]:
        run["end_to_end_seconds"] = data.get("run_seconds", data.get("elapsed_seconds"))
        top = sum(s["wall_seconds"] for s in data.get("stages", []) if s["parent"] is None)
        run["other_seconds"] = round(run["end_to_end_seconds"] - top, 3)
    return run


def run_benchmark(scale_name: str, *, work_dir: Path = WORK_DIR, results_dir: Path = RESULTS_DIR,
                  timeout: float | None = None, floor: bool = True, baseline: bool = True,
                  profile: bool = False, today: date | None = None) -> tuple[dict, Path, Path]:
    """Measure one scale; returns the results and the JSON and Markdown files written."""
    scale = get_scale(scale_name)
    timeout = timeout or DEFAULT_TIMEOUT[scale.name]
    folder = Path(work_dir) / scale.name
    extracts = prepare_extracts(scale, work_dir)
    load = MachineLoad()
    results: dict = {
        "date": (today or date.today()).isoformat(),
        "scale": {"name": scale.name, "description": scale.description, "areas": list(scale.areas),
                  "children": scale.children, "quarters": scale.quarters, "revisions": scale.revisions,
                  "seed": scale.seed, "end_quarter": scale.end_quarter},
        "extracts": {"path": _shown(extracts.path), "files": extracts.files, "rows": extracts.rows,
                     "bytes": extracts.bytes, "generated_now": extracts.generated,
                     "generate_seconds": extracts.generate_seconds},
        "machine": machine_info(),
        "code": code_version(),
        "stages_documented": list(TOP_LEVEL_STAGES),
    }
    own_cpu = 0.0
    results["help"] = time_help()
    if floor:
        data, seconds, stopped = _worker(
            ["floor", str(extracts.path), str(folder / "floor.duckdb"), str(folder / "floor.json")],
            folder / "floor.json", timeout)
        results["floor"] = {**data, "process_seconds": round(seconds, 3), "stopped_because": stopped}
        own_cpu += data.get("cpu_seconds", 0.0)
    # A fresh output folder every time: a warehouse left by an earlier run would make this a
    # different (warmer, smaller) run — earlier extracts already snapshotted, say.
    out = folder / "out"
    shutil.rmtree(out, ignore_errors=True)
    data, seconds, stopped = _worker(
        ["pipeline", str(extracts.path), str(out), str(folder / "pipeline.json")], folder / "pipeline.json", timeout)
    results["pipeline"] = _pipeline_summary(data, seconds, stopped)
    own_cpu += data.get("cpu_seconds", 0.0)
    kpis_done = any(stage["name"] == "stage + KPIs" and stage["calls"]
                    for stage in results["pipeline"].get("stages", []))
    if baseline and kpis_done and (out / "warehouse.duckdb").is_file():
        data, seconds, stopped = _worker(
            ["baseline", str(out / "warehouse.duckdb"), str(folder / "baseline.json")],
            folder / "baseline.json", timeout)
        stages = {stage["name"]: stage for stage in data.get("stages", [])}
        compute, loading = stages.get("baseline: compute", {}), stages.get("baseline: load frames", {})
        results["baseline"] = {
            **{key: value for key, value in data.items() if key != "stages"},
            "compute_seconds": compute.get("wall_seconds"), "compute_cpu_seconds": compute.get("cpu_seconds"),
            "load_seconds": loading.get("wall_seconds"), "process_seconds": round(seconds, 3),
            "stopped_because": stopped,
        }
        own_cpu += data.get("cpu_seconds", 0.0)
    if scale.name == "national-x10":
        national = latest_result(results_dir, "national")
        if national is not None:
            results["compared_with"] = {"national_date": national["date"],
                                        "national_end_to_end_seconds": national["pipeline"]["end_to_end_seconds"]}
    results["machine_load"] = load.finish(own_cpu)
    if profile:
        # The text profile is kept with the results; the HTML (large) stays in the work folder.
        prefix = folder / "profile"
        shutil.rmtree(folder / "out-profiled", ignore_errors=True)
        data, seconds, stopped = _worker(
            ["pipeline", str(extracts.path), str(folder / "out-profiled"), str(folder / "profiled.json"),
             "--profile", str(prefix)], folder / "profiled.json", timeout * 2)
        text = Path(results_dir) / f"{results['date']}-{scale.name}-profile.txt"
        if prefix.with_suffix(".txt").is_file():
            Path(results_dir).mkdir(parents=True, exist_ok=True)
            text.write_text(prefix.with_suffix(".txt").read_text(encoding="utf-8"), encoding="utf-8")
        results["profile"] = {"text": _shown(text), "html": _shown(prefix.with_suffix(".html")),
                              "profiled_seconds": round(seconds, 3), "stopped_because": stopped}
    results["targets"] = judge_targets(results)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{results['date']}-{scale.name}"
    json_path, md_path = results_dir / f"{stem}.json", results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return results, json_path, md_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="area", help="default: area")
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR, help="generated extracts and run outputs")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--timeout", type=float, help="seconds before a measurement is stopped "
                        f"(default per scale: {DEFAULT_TIMEOUT})")
    parser.add_argument("--no-floor", action="store_true", help="skip the DuckDB read_csv floor")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--profile", action="store_true", help="also profile a run with pyinstrument")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.profile:
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            print("--profile needs pyinstrument: pip install pyinstrument (not a project dependency)",
                  file=sys.stderr)
            return 2
    results, json_path, md_path = run_benchmark(
        args.scale, work_dir=args.work_dir, results_dir=args.results_dir, timeout=args.timeout,
        floor=not args.no_floor, baseline=not args.no_baseline, profile=args.profile,
    )
    print(md_path.read_text(encoding="utf-8"))
    print(f"Wrote {json_path} and {md_path}")
    return 0 if results["pipeline"]["finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
