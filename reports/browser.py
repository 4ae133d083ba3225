"""Drive Debian's headless Chromium over the DevTools protocol on a pipe (no network port).

Used to check a rendered report as a reader would see it (console errors, charts drawn)
and to take full-page screenshots and print-to-PDF copies. ``--remote-debugging-pipe``
makes Chromium read protocol messages from file descriptor 3 and write them to 4, each
message a JSON object ended by a NUL byte; no TCP port is opened.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "Debian chromium not installed: apt-get install chromium"

# The flags of the brief: no GPU, no background traffic, a throw-away profile.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def _above_nine(descriptor: int) -> int:
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(descriptor)
    return moved


class BrowserError(RuntimeError):
    """Chromium could not be started, answered with an error, or timed out."""


def chromium_available() -> bool:
    return CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)


@dataclass
class PageReport:
    """What a page did while loading: console errors and the charts it drew."""

    console_errors: list[str] = field(default_factory=list)
    chart_ids: list[str] = field(default_factory=list)
    drawn_chart_ids: list[str] = field(default_factory=list)

    @property
    def undrawn_chart_ids(self) -> list[str]:
        return [chart for chart in self.chart_ids if chart not in self.drawn_chart_ids]


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, width: int = 1280, height: int = 4000, timeout: float = 60.0) -> None:
        if not chromium_available():
            raise BrowserError(INSTALL_HINT)
        self.width = width
        self.height = height
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._profile = tempfile.mkdtemp(prefix="lac-health-chromium-")
        # Chromium's stderr, quoted if it fails to start; closed in close().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # The child's ends move above 9 first, so that redirecting them onto 3 and 4 can
        # never overwrite one with the other (pytest, for one, may hold low descriptors).
        to_browser_read = _above_nine(to_browser_read)
        from_browser_write = _above_nine(from_browser_write)
        # Chromium insists on fds 3 and 4; a shell `exec` with redirections puts the pipe
        # ends there without relying on which numbers the parent happened to get.
        flags = [*_FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}"]
        command = " ".join(shlex.quote(part) for part in [str(CHROMIUM), *flags, "about:blank"])
        self._process = subprocess.Popen(
            # bash, not sh: dash's redirections accept single-digit descriptors only.
            ["/bin/bash", "-c", f"exec {command} 3<&{to_browser_read} 4>&{from_browser_write}"],
            pass_fds=(to_browser_read, from_browser_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._session: str | None = None
        try:
            targets = self.call("Target.getTargets")["targetInfos"]
            page = next(target for target in targets if target["type"] == "page")
            attached = self.call(
                "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
            )
            self._session = attached["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BrowserError as error:
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            self.close()
            raise BrowserError(f"{error}; Chromium said: {' | '.join(tail) or 'nothing'}") from None
        except Exception:
            self.close()
            raise

    # -- protocol -----------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self._session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _wait_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for index, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(index)
            message = self._read(deadline)
            if "method" in message:
                self._events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    # -- page actions -------------------------------------------------------------------

    def open(self, path: Path, chart_selector: str = "div.chart-plot") -> PageReport:
        """Load a local file, wait until every chart has drawn (or time runs out), report."""
        self._events.clear()
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()})
        self._wait_event("Page.loadEventFired")
        selector = json.dumps(chart_selector)
        count_script = (
            f"Array.from(document.querySelectorAll({selector}))"
            ".map(d => [d.id, d.querySelector('svg.main-svg') !== null])"
        )
        deadline = time.monotonic() + self.timeout
        charts = self.evaluate(count_script)
        while not all(drawn for _, drawn in charts) and time.monotonic() < deadline:
            time.sleep(0.2)
            charts = self.evaluate(count_script)
        # Collect whatever the page logged while it drew.
        self.evaluate("1")
        return PageReport(
            console_errors=self._console_errors(),
            chart_ids=[chart for chart, _ in charts],
            drawn_chart_ids=[chart for chart, drawn in charts if drawn],
        )

    def set_width(self, width: int, height: int | None = None) -> None:
        """Emulate a window ``width`` CSS px wide (a phone is 390), at device scale 1."""
        self.width = width
        self.height = height or self.height
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": self.height, "deviceScaleFactor": 1,
            "mobile": width < 600})

    def press_key(self, key: str) -> None:
        """Press and release Tab, Enter or Space as a keyboard user would."""
        codes = {"Tab": (9, ""), "Enter": (13, "\r"), " ": (32, " ")}
        virtual_key, text = codes[key]
        base = {"key": key, "code": "Space" if key == " " else key,
                "windowsVirtualKeyCode": virtual_key}
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **base, **({"text": text} if text else {})})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    def _console_errors(self) -> list[str]:
        errors = []
        for event in self._events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params.get("type") in {
                "error",
                "assert",
            }:
                texts = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
                errors.append("console: " + " ".join(texts))
            elif event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description", details.get("text"))
                errors.append(f"exception: {description}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                errors.append(f"{entry.get('source')}: {entry.get('text')}")
        return errors

    def screenshot(self, out_path: Path, full_page: bool = True) -> Path:
        """A PNG of the whole page (full height) at the browser's width."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": self.width,
                "height": max(1, int(size["height"])),
                "scale": 1,
            }
        data = self.call("Page.captureScreenshot", params)["data"]
        out_path = Path(out_path)
        out_path.write_bytes(base64.b64decode(data))
        return out_path

    def screenshot_slices(self, out_dir: Path, stem: str, slice_height: int = 1800) -> list[Path]:
        """The page cut into screen-sized PNGs: easier to look at than one very tall image."""
        metrics = self.call("Page.getLayoutMetrics")
        height = int((metrics.get("cssContentSize") or metrics["contentSize"])["height"])
        paths = []
        for index, top in enumerate(range(0, height, slice_height), start=1):
            clip = {
                "x": 0,
                "y": top,
                "width": self.width,
                "height": min(slice_height, height - top),
                "scale": 1,
            }
            data = self.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True, "clip": clip},
            )["data"]
            path = Path(out_dir) / f"{stem}-{index:02d}.png"
            path.write_bytes(base64.b64decode(data))
            paths.append(path)
        return paths

    def print_pdf(self, out_path: Path) -> Path:
        """Print with the page's print stylesheet (A4, as the board prints it)."""
        result = self.call(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True},
        )
        out_path = Path(out_path)
        out_path.write_bytes(base64.b64decode(result["data"]))
        return out_path

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                with contextlib.suppress(BrowserError, OSError):
                    self.call("Browser.close")
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
        finally:
            for descriptor in (self._to_browser, self._from_browser):
                with contextlib.suppress(OSError):
                    os.close(descriptor)
            shutil.rmtree(self._profile, ignore_errors=True)
            self._log.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
