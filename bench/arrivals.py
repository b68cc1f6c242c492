"""Visitors arriving together on a busy server: how long each waits before training, and how the
page's poll answers meanwhile.

    python bench/arrivals.py [--visitors 6] [--steps 300] [--json bench/arrivals.json]

Starts `python app.py` with its defaults (on a CPU: one image place, turns of
GAN_PLAYGROUND_TURN_S) on a free loopback port. All visitors press Start on the ACGAN tab at the same
moment (threads released by one barrier), each a run of `--steps` steps; every visitor's page then
polls at 2 Hz as the page's timer does (one POST to /gradio_api/run/predict) until its run has
finished. Reported per visitor: its place when it pressed Start, the seconds until its status line
first said Training (the wait), and until Finished; for all: poll latency (median, p95, max).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time

import httpx
from apps import cpu_model, start_app, stop_app  # bench/apps.py
from gradio_client import Client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300, help="each visitor's run (ACGAN, MNIST, batch 64)")
    parser.add_argument("--timeout-s", type=float, default=900.0)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    proc, url = start_app(dict(os.environ))
    latencies: list[float] = []
    lock = threading.Lock()
    rows: list[dict] = [{} for _ in range(args.visitors)]
    try:
        clients = [Client(url, verbose=False) for _ in range(args.visitors)]
        config = httpx.get(url + "config", timeout=30).json()
        poll_fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "acgan_poll")
        barrier = threading.Barrier(args.visitors)

        def visitor(i: int) -> None:
            client, row = clients[i], rows[i]
            barrier.wait()
            t0 = time.monotonic()
            status = client.predict(variant="acgan", dataset="mnist", steps=args.steps, batch_size=64, seed=i,
                                    api_name="/acgan_start")[0]
            row["start_answer"] = status.replace("\n\n", " · ")[:160]
            shown = status
            with httpx.Client(timeout=30) as http:
                while time.monotonic() - t0 < args.timeout_s:
                    t = time.perf_counter()
                    r = http.post(url + "gradio_api/run/predict",
                                  json={"fn_index": poll_fn, "data": [], "session_hash": client.session_hash})
                    with lock:
                        latencies.append(time.perf_counter() - t)
                    sent = r.json()["data"][0]
                    shown = sent if isinstance(sent, str) else shown
                    if "waited_s" not in row and shown.startswith("**Training**"):
                        row["waited_s"] = round(time.monotonic() - t0, 1)
                    if shown.startswith(("**Finished**", "**Stopped**", "**Failed**", "**Diverged**")):
                        row["finished_s"] = round(time.monotonic() - t0, 1)
                        row["end"] = shown.split("\n")[0][:120]
                        return
                    time.sleep(max(0.0, 0.5 - (time.perf_counter() - t)))

        threads = [threading.Thread(target=visitor, args=(i,)) for i in range(args.visitors)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        stop_app(proc)
    lat = sorted(latencies)
    summary = {"visitors": args.visitors, "steps": args.steps, "cpu": f"{cpu_model()} x{os.cpu_count()}",
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_average": os.getloadavg(),
               "poll_median_ms": round(1000 * statistics.median(lat), 1),
               "poll_p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
               "poll_max_ms": round(1000 * lat[-1], 1), "polls": len(lat), "visitors_seen": rows}
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
