"""A minimal W3C WebDriver client over urllib for Debian's chromedriver + headless Chromium.

Imported as ``report_webdriver`` (the conftest puts this directory on ``sys.path``). Just what the
report test needs: start chromedriver on a free loopback port, open a session with headless
Chromium, navigate, run a script (sync or async), take a full-page screenshot through the
DevTools ``Page.captureScreenshot`` command, end the session and stop chromedriver by its pid.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,1024",
)


class WebDriverError(RuntimeError):
    """chromedriver answered with a W3C error (or not at all)."""


class ChromeDriver:
    """chromedriver as a child process on 127.0.0.1; a context manager that always stops it."""

    def __init__(self, log_path: Path, *, timeout: float = 60.0) -> None:
        self.log_path = log_path
        self.timeout = timeout
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChromeDriver:
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            [str(CHROMEDRIVER), f"--port={self.port}", f"--log-path={self.log_path}.verbose"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            if self._proc.poll() is not None:
                raise WebDriverError(f"chromedriver exited with {self._proc.returncode}; log: {self.log_path}")
            try:
                if self.request("GET", "/status").get("ready"):
                    return self
            except (OSError, WebDriverError):
                pass
            if time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise WebDriverError(f"chromedriver did not become ready in 30 s; log: {self.log_path}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("value", {})
            raise WebDriverError(f"{method} {path}: {detail.get('error')}: {detail.get('message')}") from None
        return payload.get("value")

    def session(self, user_data_dir: Path) -> Session:
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {"binary": str(CHROMIUM),
                                   "args": [*CHROMIUM_ARGS, f"--user-data-dir={user_data_dir}"]},
        }}}
        value = self.request("POST", "/session", caps)
        return Session(self, value["sessionId"])


class Session:
    """One browser session; ``with`` ends it (closing Chromium)."""

    def __init__(self, driver: ChromeDriver, session_id: str) -> None:
        self.driver = driver
        self.path = f"/session/{session_id}"

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.driver.request("DELETE", self.path)

    def navigate(self, url: str) -> None:
        self.driver.request("POST", f"{self.path}/url", {"url": url})

    def execute(self, script: str, *args: Any) -> Any:
        return self.driver.request("POST", f"{self.path}/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script: str, *args: Any) -> Any:
        return self.driver.request("POST", f"{self.path}/execute/async", {"script": script, "args": list(args)})

    def full_page_screenshot(self) -> bytes:
        """The whole page (not just the viewport) as PNG bytes, via DevTools."""
        value = self.driver.request("POST", f"{self.path}/goog/cdp/execute", {
            "cmd": "Page.captureScreenshot", "params": {"format": "png", "captureBeyondViewport": True},
        })
        return base64.b64decode(value["data"])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
