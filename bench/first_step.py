"""Seconds from Start to the first training step, through the real app (issue 26, point 3).

    python bench/first_step.py                 # a first start (empty data folder), warm-up on and off
    python bench/first_step.py --wait 5        # the visitor presses Start 5 s after the app started

Each case runs in a fresh process (nothing cached in memory) with a fresh data folder, as a Space's
first start is: the app starts (`build_app`, with or without `AppContext.warm_up`, which loads the
data sets in the background), waits `--wait` seconds (a visitor opening the page), then a client
presses Start on the ACGAN tab with its defaults; the time is from the call until the job has
taken its first step. The data come from the offline mirror (GAN_PLAYGROUND_DATA_MIRROR), or are
downloaded. Appends one JSON line per case to bench/first_step.jsonl.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def one_case(warm: bool, wait: float, tab: str) -> dict:
    """In this process: start the app, wait, press Start, time the first step."""
    import torch
    from gradio_client import Client

    from gan_playground.ui import build_app

    t0 = time.perf_counter()
    demo = build_app(load_shipped=False, warm=warm, max_jobs=1)
    demo.queue().launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    built = time.perf_counter() - t0
    client = Client(demo.local_url, verbose=False)
    time.sleep(wait)
    warmed = demo.ctx.warming is not None and not demo.ctx.warming.is_alive()
    start = time.perf_counter()
    status = client.predict(steps=100_000, api_name=f"/{tab}_start")[0]
    answered = time.perf_counter() - start
    job, first = None, None
    while time.perf_counter() - start < 120:
        jobs = [j for _, key, j in demo.ctx.sessions.active_jobs() if key == tab]
        job = jobs[0] if jobs else job
        if job is not None and job.step >= 1:
            first = time.perf_counter() - start
            break
        time.sleep(0.01)
    client.predict(api_name=f"/{tab}_stop")
    demo.ctx.close()
    demo.close()
    return {"warm_up": warm, "wait_s": wait, "tab": tab, "app_built_s": round(built, 2),
            "warm_up_done_at_start": warmed, "start_answered_s": round(answered, 2),
            "first_step_s": round(first, 2) if first is not None else None, "status": status[:80],
            "threads": torch.get_num_threads()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wait", type=float, default=3.0, help="seconds between the app's start and Start")
    p.add_argument("--tab", default="acgan", choices=("acgan", "aae", "wgan"))
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--case", choices=("warm", "cold"), help=argparse.SUPPRESS)  # one case, in this process
    p.add_argument("--log", default=str(Path(__file__).resolve().parent / "first_step.jsonl"))
    args = p.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case == "warm", args.wait, args.tab)))
        return
    for _ in range(args.repeats):
        for case in ("cold", "warm"):
            with tempfile.TemporaryDirectory(prefix="first-step-data-") as data:
                env = {**os.environ, "GAN_PLAYGROUND_DATA": data,
                       "GAN_PLAYGROUND_UI_SAVES": tempfile.mkdtemp(prefix="first-step-saves-")}
                load = [round(x, 2) for x in os.getloadavg()]
                out = subprocess.run([sys.executable, __file__, "--case", case, "--wait", str(args.wait),
                                      "--tab", args.tab], env=env, capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result.update(load_average=load, torch=__import__("torch").__version__,
                              date=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                              command=" ".join(["python", *sys.argv]))
                print(json.dumps(result), flush=True)
                with open(args.log, "a") as fh:
                    fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
