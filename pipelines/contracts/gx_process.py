"""Great Expectations beside the rest of the run, in a process of its own.

GX costs seconds to import and a few microseconds per row to run, and nothing downstream
waits for its results but the summary line and the Dagster asset checks: the KPIs come from
the rows the row rules accepted. So a run sends each file's GX frame (``gx_part``, Arrow)
to one checking process as the folders are read, and asks for the results only once the
KPIs are computed. The process imports GX while the first folders are read, checks rows in
rounds of at most ``batch_rows`` (it holds no more than a round and a bounded queue), and
merges the rounds exactly (``merge_contract_results``: no file is split between rounds).

``ContractChecks(separate_process=False)`` does the same rounds in this process (one worker
configured, or a run too small to pay for a process).
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from pipelines.contracts.gx_suites import (
    ContractResult,
    frame_of_parts,
    import_gx,
    merge_contract_results,
    validate_frame,
)
from pipelines.contracts.model import TABLES, load_contract
from pipelines.processes import release_memory

# Messages (one folder's parts each) waiting for the checking process: when GX falls behind,
# the run waits here rather than holding every folder's rows.
QUEUE_FOLDERS = 32
# How long the run waits for a result before looking whether the checking process died.
_POLL_SECONDS = 1.0

Part = tuple[str, pa.Table]  # (table, gx_part of one file)


class ContractCheckError(RuntimeError):
    """The checking process failed; the message carries its traceback."""


class _Rounds:
    """GX over the parts given, a round whenever ``batch_rows`` rows are waiting."""

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self.waiting: dict[str, list[pa.Table]] = {}
        self.rows = 0
        self.checked: list[ContractResult] = []

    def add(self, parts: Iterable[Part]) -> None:
        for table, part in parts:
            self.waiting.setdefault(table, []).append(part)
            self.rows += part.num_rows
        if self.rows >= self.batch_rows:
            self._round()

    def _round(self) -> None:
        for table in sorted(self.waiting, key=TABLES.index):
            parts = self.waiting.pop(table)
            self.checked.append(validate_frame(load_contract(table), frame_of_parts(parts)))
            del parts
        self.rows = 0
        # GX's batches hold their frames in reference cycles, freed only at a full collection
        release_memory()

    def finish(self) -> list[ContractResult]:
        self._round()
        return merge_contract_results(self.checked)


def _serve(inbox: Any, outbox: Any, batch_rows: int) -> None:
    """The checking process: parts in until ``None``, then the merged results out."""
    try:
        import_gx()  # while the run reads its first folders
        rounds = _Rounds(batch_rows)
        while (parts := inbox.get()) is not None:
            rounds.add(parts)
        outbox.put(("results", rounds.finish()))
    except BaseException:  # the run re-raises it, with this traceback
        outbox.put(("error", traceback.format_exc()))


class ContractChecks:
    """Where a run sends its GX parts, and gets the results of every table's contract."""

    def __init__(self, batch_rows: int, *, separate_process: bool) -> None:
        self._rounds: _Rounds | None = None
        self._process = None
        self._results: list[ContractResult] | None = None
        self._sent_all = False
        if not separate_process:
            self._rounds = _Rounds(batch_rows)
            return
        context = multiprocessing.get_context("spawn")  # the run holds DuckDB's threads
        self._inbox = context.Queue(maxsize=QUEUE_FOLDERS)
        self._outbox = context.Queue()
        self._process = context.Process(target=_serve, args=(self._inbox, self._outbox, batch_rows),
                                        name="lac-health contract checks", daemon=True)
        self._process.start()

    def add(self, parts: list[Part]) -> None:
        if self._sent_all:
            raise RuntimeError("parts added after all_sent()")
        if not parts:
            return
        if self._rounds is not None:
            self._rounds.add(parts)
        else:
            self._put(parts)

    def all_sent(self) -> None:
        """No more parts: the last round is checked now, not when the results are asked for."""
        if self._process is not None and not self._sent_all:
            self._put(None)
            self._sent_all = True

    def results(self) -> list[ContractResult]:
        """Every table's result (in TABLES order), once all parts are checked."""
        if self._results is not None:
            return self._results
        if self._rounds is not None:
            self._results = self._rounds.finish()
            return self._results
        self.all_sent()
        kind, payload = self._get()
        self._process.join()
        if kind == "error":
            raise ContractCheckError(f"checking the data contracts failed:\n{payload}")
        self._results = payload
        return payload

    def close(self) -> None:
        """Stop the checking process if results were never asked for (an error in the run)."""
        if self._process is not None and self._process.is_alive() and self._results is None:
            self._process.kill()
            self._process.join()

    def __enter__(self) -> ContractChecks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, message: Any) -> None:
        while True:
            try:
                self._inbox.put(message, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                self._check_alive()

    def _get(self) -> tuple[str, Any]:
        while True:
            try:
                return self._outbox.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():  # what it sent before stopping may still be in the pipe
                    try:
                        return self._outbox.get(timeout=_POLL_SECONDS)
                    except queue.Empty:
                        self._check_alive()

    def _check_alive(self) -> None:
        if not self._process.is_alive():
            raise ContractCheckError(
                f"the process checking the data contracts stopped (exit code {self._process.exitcode})")
