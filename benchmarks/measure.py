"""Wall time, CPU time and peak memory of named stages, and a description of the machine.

Peak memory is the resident set size (RSS) of the whole process tree — this process and
every process it started — sampled from /proc in a background thread, so memory held by
DuckDB's threads and by any helper process counts. Sampling can miss a spike shorter than
the interval, so the process's own kernel-recorded peak (``ru_maxrss``) is kept alongside.

CPU time is user + system time of this process (all its threads) and of its waited-for
children, from ``getrusage``. On a shared machine wall time is inflated by other people's
work while CPU time is not, so both are recorded, together with how much CPU the rest of
the machine used during the run (from /proc/stat).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024


# --- process tree memory ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        found.extend(int(child) for child in text.split())
    return found


def process_tree(pid: int | None = None) -> list[int]:
    """``pid`` (default: this process) and all its descendants that are still running."""
    root = os.getpid() if pid is None else pid
    tree, pending = [], [root]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(_children(current))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 once it has gone)."""
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * PAGE_SIZE


def tree_rss_bytes(pid: int | None = None) -> int:
    return sum(rss_bytes(member) for member in process_tree(pid))


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_self_bytes() -> int:
    """The kernel's record of this process's peak RSS (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    values = [int(value) for value in fields]
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)
    return busy / CLOCK_TICKS


# --- stages ------------------------------------------------------------------------------------


@dataclass
class StageRecord:
    name: str
    parent: str | None  # the stage this one runs inside (None: a top-level stage)
    calls: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["peak_rss_mb"] = round(self.peak_rss_bytes / MB, 1)
        data["wall_seconds"] = round(self.wall_seconds, 3)
        data["cpu_seconds"] = round(self.cpu_seconds, 3)
        return data


@dataclass
class StageClock:
    """Times named stages; a background thread samples the process tree's RSS and charges
    it to every stage that is running (a sub-stage's peak also counts for its parent).

    Re-entering a stage name (one call per extract folder, say) accumulates its time.
    ``on_sample`` is called from the sampling thread about every ``flush_seconds``, so a
    caller can write partial results of a run that may be stopped.
    """

    interval: float = 0.05
    flush_seconds: float = 5.0
    on_sample: Callable[[StageClock], None] | None = None
    stages: dict[str, StageRecord] = field(default_factory=dict)
    peak_rss_bytes: int = 0
    samples: int = 0
    _active: tuple[str, ...] = ()
    _entered: dict[str, float] = field(default_factory=dict)  # running stage -> perf_counter at entry
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0

    def start(self, since: float | None = None) -> StageClock:
        """Start sampling; ``elapsed`` counts from ``since`` (a ``perf_counter`` value, e.g.
        taken at process start) or from now."""
        self._started = time.perf_counter() if since is None else since
        self._sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def _sample(self) -> None:
        self.samples += 1
        self._charge(tree_rss_bytes())

    def _charge(self, rss: int) -> None:
        """Count ``rss`` towards the peak of every running stage and of the whole run."""
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        for name in self._active:
            record = self.stages.get(name)
            if record is not None and rss > record.peak_rss_bytes:
                record.peak_rss_bytes = rss

    def _run(self) -> None:
        last_flush = time.perf_counter()
        while not self._stop.wait(self.interval):
            self._sample()
            if self.on_sample is not None and time.perf_counter() - last_flush >= self.flush_seconds:
                last_flush = time.perf_counter()
                self.on_sample(self)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        parent = self._active[-1] if self._active else None
        record = self.stages.get(name)
        if record is None:
            record = self.stages[name] = StageRecord(name, parent)
        nested = name in self._active  # a stage wrapped twice counts its time once
        wall, cpu = time.perf_counter(), cpu_seconds()
        if not nested:
            self._active = (*self._active, name)
            self._entered[name] = wall
        self._charge(tree_rss_bytes())
        try:
            yield record
        finally:
            self._charge(tree_rss_bytes())  # while this stage and its parents are still running
            if not nested:
                record.calls += 1
                record.wall_seconds += time.perf_counter() - wall
                record.cpu_seconds += cpu_seconds() - cpu
                self._active = tuple(active for active in self._active if active != name)
                self._entered.pop(name, None)

    def wrap(self, name: str, function: Callable) -> Callable:
        """``function`` timed as stage ``name`` on every call."""

        def timed(*args, **kwargs):
            with self.stage(name):
                return function(*args, **kwargs)

        timed.__wrapped__ = function  # type: ignore[attr-defined]
        timed.__name__ = getattr(function, "__name__", name)
        timed.__doc__ = function.__doc__
        return timed

    def to_dict(self) -> dict[str, object]:
        """Everything recorded; a stage still running (in a snapshot of a run that may be
        stopped) also says how long it has been running in its current call."""
        now = time.perf_counter()
        stages = []
        for record in list(self.stages.values()):
            data = record.to_dict()
            entered = self._entered.get(record.name)
            if entered is not None:
                data["running_seconds"] = round(now - entered, 3)
            stages.append(data)
        return {
            "stages": stages,
            "peak_rss_bytes": max(self.peak_rss_bytes, peak_rss_self_bytes()),
            "peak_rss_sampled_bytes": self.peak_rss_bytes,
            "peak_rss_self_kernel_bytes": peak_rss_self_bytes(),
            "rss_samples": self.samples,
            "elapsed_seconds": round(self.elapsed(), 3),
            "cpu_seconds": round(cpu_seconds(), 3),
        }


# --- the machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, object]:
    """What the numbers were measured on: cores, memory, CPU, OS and library versions."""
    memory = _memory_total_bytes()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gb": round(memory / 1024**3, 1) if memory else None,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "duckdb": _version("duckdb"),
        "pandas": _version("pandas"),
        "numpy": _version("numpy"),
        "pyarrow": _version("pyarrow"),
        "great_expectations": _version("great_expectations"),
        "openpyxl": _version("openpyxl"),
        "plotly": _version("plotly"),
    }


@dataclass
class MachineLoad:
    """How busy the machine was while something ran, besides the measured processes."""

    started: float = field(default_factory=time.perf_counter)
    busy_start: float | None = field(default_factory=machine_busy_seconds)
    load_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def finish(self, own_cpu_seconds: float) -> dict[str, object]:
        wall = time.perf_counter() - self.started
        busy_end = machine_busy_seconds()
        result: dict[str, object] = {
            "loadavg_start": [round(v, 2) for v in self.load_start],
            "loadavg_end": [round(v, 2) for v in os.getloadavg()],
        }
        if self.busy_start is not None and busy_end is not None and wall > 0:
            others = max(0.0, busy_end - self.busy_start - own_cpu_seconds)
            result["other_cpu_seconds"] = round(others, 1)
            result["other_cores_busy_on_average"] = round(others / wall, 2)
        return result
