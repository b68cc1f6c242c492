"""What the app benchmarks share: start `python app.py` on a free port, measure it, stop it.

Imported by bench/app_overhead.py and bench/load.py (run as `python bench/NAME.py`, so this
folder is on sys.path).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict[str, str], timeout: float = 180.0) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free loopback port; returns once it answers HTTP: (process, url)."""
    port = free_port()
    env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    end = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            if time.monotonic() > end:
                stop_app(proc)
                raise SystemExit("the app did not start in time") from None
            time.sleep(0.5)


def stop_app(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out + [g for c in out for g in _children(c)]


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS, Linux /proc) of a process and its children, in MiB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total / 2**20


def settled_rss_mb(pid: int, timeout_s: float = 120.0) -> float:
    """The idle server's memory once its start-up work is done: the app loads the data sets and the
    live scores' statistics in the background as it starts (ui/context.warm_up), so a server asked
    too early looks smaller than the one a run leaves behind. Settled: 10 s without a 2 MB change."""
    samples = [rss_mb(pid)]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(2)
        samples.append(rss_mb(pid))
        if len(samples) >= 6 and max(samples[-6:]) - min(samples[-6:]) < 2:
            break
    return samples[-1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
