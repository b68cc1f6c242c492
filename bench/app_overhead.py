"""Training throughput with the app open and polling, against the headless bench; the app's memory.

    python bench/app_overhead.py --model wgan-gp --seconds 60

1. headless: `python -m gan_playground bench MODEL --seconds S` (the project's defaults).
2. app: `python app.py` on a free port; resident memory once idle; then a gradio_client starts
   MODEL on MNIST (`/<tab>_start`, defaults) and polls `/<tab>_poll` once a second, as the page's
   gr.Timer does, for S seconds; the job's own images/s (its status line) after the first 10 s,
   and the app's peak resident memory (the process and its children).
3. headless again. Ratio: the app's median rate over the mean of the two headless runs.
Appends one JSON line to bench/app_overhead.jsonl.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from apps import REPO, rss_mb, start_app, stop_app  # noqa: E402  (bench/apps.py)

TAB = {"wgan-gp": "wgan", "wgan": "wgan", "wgan-div": "wgan", "acgan": "acgan", "aae": "aae"}


def headless(model: str, seconds: float, env: dict) -> float:
    out = subprocess.run([sys.executable, "-m", "gan_playground", "bench", model, "--seconds", str(seconds),
                          "--device", "cpu"], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["images_per_s"]


def with_app(model: str, seconds: float, env: dict) -> dict:
    from gradio_client import Client

    saves = tempfile.mkdtemp(prefix="gp-app-")
    app, url = start_app({**env, "GAN_PLAYGROUND_UI_SAVES": saves})
    proc = app.pid
    try:
        client = Client(url, verbose=False)
        time.sleep(5)
        idle = rss_mb(proc)
        tab = TAB[model]
        status = client.predict(variant=model, dataset="mnist", steps=10_000_000, batch_size=64, seed=0,
                                api_name=f"/{tab}_start")[0]
        rates, peak, t0 = [], idle, time.monotonic()
        while time.monotonic() - t0 < seconds:
            out = client.predict(api_name=f"/{tab}_poll")
            peak = max(peak, rss_mb(proc))
            text = out[0] if isinstance(out[0], str) else str(out[0])
            m = re.search(r"([\d,]+) images/s", text)
            if m and time.monotonic() - t0 > 10:
                rates.append(float(m.group(1).replace(",", "")))
            time.sleep(1.0)
        client.predict(api_name=f"/{tab}_stop")
        return {"start_status": str(status)[:200], "images_per_s": statistics.median(rates) if rates else 0.0,
                "polls_with_rate": len(rates), "rss_idle_mb": round(idle, 1), "rss_peak_training_mb": round(peak, 1)}
    finally:
        stop_app(app)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="wgan-gp", choices=sorted(TAB))
    p.add_argument("--seconds", type=float, default=60.0)
    args = p.parse_args()
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO)}
    load0 = [round(x, 2) for x in os.getloadavg()]
    h1 = headless(args.model, args.seconds, env)
    app = with_app(args.model, args.seconds, env)
    h2 = headless(args.model, args.seconds, env)
    result = {"model": args.model, "headless_images_per_s": [h1, h2], "app": app,
              "ratio": app["images_per_s"] / ((h1 + h2) / 2), "target_ratio": 0.9,
              "target_rss_idle_mb": 1536, "target_rss_training_mb": 3072,
              "load_average_start": load0, "load_average_end": [round(x, 2) for x in os.getloadavg()],
              "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": " ".join(["python", *sys.argv])}
    with open(Path(__file__).resolve().parent / "app_overhead.jsonl", "a") as fh:
        fh.write(json.dumps(result) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
