"""How soon Stop takes effect, and what the server's memory does, for the costliest runs the server
accepts: `python app.py` with its defaults (GAN_PLAYGROUND_WORKERS=auto), one visitor through
gradio_client.

    python bench/stop_latency.py [--json bench/stop_latency.json]

For each run: Start, wait until it has trained a while, press Stop, and time until the page says
Stopped; then the server's resident memory right after and 60 s after the run ended, against the
idle server's. Runs are the WGAN tab's, from modest to near the cost cap (GAN_PLAYGROUND_MAX_STEP_S).
"""

from __future__ import annotations

import argparse
import json
import os
import time

from apps import cpu_model, rss_mb, settled_rss_mb, start_app, stop_app  # bench/apps.py
from gradio_client import Client

RUNS = {  # label: the WGAN tab's Start arguments beyond its defaults
    "wgan-gp mlp, batch 64 (the tab's default)": {},
    "wgan-gp dcgan, batch 512, n_critic 5": {"arch": "dcgan", "batch_size": 512},
    "wgan-gp dcgan, batch 1,024, n_critic 10": {"arch": "dcgan", "batch_size": 1024, "n_critic": 10},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--train-s", type=float, default=15.0, help="seconds to train before Stop")
    args = parser.parse_args()
    proc, url = start_app(dict(os.environ))
    results = []
    try:
        client = Client(url, verbose=False)
        client.predict(api_name="/wgan_init")
        idle = settled_rss_mb(proc.pid)
        for label, extra in RUNS.items():
            status = client.predict(api_name="/wgan_start", **{"variant": "wgan-gp", "dataset": "mnist",
                                                               "steps": 100_000, **extra})[0]
            row = {"run": label, "started": not status.startswith("⚠"), "status": status.splitlines()[0][:160]}
            if row["started"]:
                time.sleep(args.train_s)
                t0 = time.monotonic()
                stopped = client.predict(api_name="/wgan_stop")[0]
                row["stop_s"] = round(time.monotonic() - t0, 2)
                row["said"] = stopped.splitlines()[0][:120]
                row["rss_after_mb"] = round(rss_mb(proc.pid))
                time.sleep(60)
                row["rss_60s_later_mb"] = round(rss_mb(proc.pid))
            row["rss_idle_mb"] = round(idle)
            print(json.dumps(row), flush=True)
            results.append(row)
    finally:
        stop_app(proc)
    summary = {"cpu": cpu_model(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": results}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
