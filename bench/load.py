"""A bounded load test of the app on loopback: sessions in turn, then many polling while a job trains.

    python bench/load.py --sessions 8 --hz 2 --minutes 3 --in-turn 3 [--json bench/load.json]

Starts `python app.py` on a free port of 127.0.0.1 (nothing else is ever contacted). First
`--in-turn` sessions, one after the other, each train the largest Lab model the page allows
(1,024 hidden units, batch 1,024) for 10 s, stop it and close; the server's resident memory is
read after each is gone (the job cap must bound memory: a let-go model is freed). Then the first
of `--sessions` sessions starts a WGAN-GP job on MNIST and all of them poll the WGAN tab at `--hz`
each for `--minutes`. Every request loop is bounded in count and time. It reports errors, poll
latency (median, p95, max), the resident memory at the start and end of the polling, the size of
Gradio's temp folder, and checks isolation: another session's stop must not touch the first
session's job.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from apps import cpu_model, rss_mb, settled_rss_mb, start_app, stop_app  # bench/apps.py


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def status_of(client, tries: int = 10) -> str:
    """The status line of the client's WGAN tab ("" if it has no job: polls then change nothing)."""
    for _ in range(tries):
        value = client.predict(api_name="/wgan_poll")[0]
        if isinstance(value, str):
            return value
        time.sleep(0.3)  # an unchanged snapshot sends no update; wait for the next one
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--hz", type=float, default=2.0)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--in-turn", type=int, default=3, help="sessions that each train the largest Lab model in turn")
    ap.add_argument("--transport", choices=["page", "client"], default="page",
                    help="page: POST /gradio_api/run/predict as the page's timer does; client: gradio_client's "
                         "predict (the queue protocol scripts and MCP tools use)")
    ap.add_argument("--endpoint", default="wgan_poll", help="what the pollers call (client transport): wgan_poll "
                    "or wgan_status")
    ap.add_argument("--tls", choices=["shared", "per-call"], default="shared",
                    help="client transport: shared: every Client gets one TLS context built once, as the README "
                         "shows (ssl_verify=httpx.create_ssl_context()); per-call: gradio_client's default, which "
                         "builds a new one (certificates loaded) for every call, about 34 ms of CPU each")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not (1 <= args.sessions <= 64 and 0 < args.hz <= 10 and 0 < args.minutes <= 30):
        raise SystemExit("--sessions in [1, 64], --hz in (0, 10], --minutes in (0, 30]")

    import functools

    import httpx
    from gradio_client import Client

    if args.tls == "shared":
        Client = functools.partial(Client, ssl_verify=httpx.create_ssl_context())  # noqa: N806 - the class, bound

    temp_dir = Path(tempfile.mkdtemp(prefix="gradio-load-"))
    grace_s = 2.0
    server, url = start_app({**os.environ, "GRADIO_TEMP_DIR": str(temp_dir),
                             "GAN_PLAYGROUND_SESSION_GRACE_S": str(grace_s)})
    try:
        rss_idle = settled_rss_mb(server.pid)
        rss_in_turn = []
        for _ in range(args.in_turn):  # each: the largest Lab run the page allows, stopped, the page closed
            visitor = Client(url, verbose=False)
            visitor.predict(variant="wgan-gp", dataset="toy-8gaussians", steps=1_000_000, batch_size=1024,
                            toy_width=1024, api_name="/lab_start")
            time.sleep(10)
            visitor.predict(api_name="/lab_stop")
            visitor.close()
            time.sleep(grace_s + 5)  # the page closes after its grace; the let-go model is freed
            rss_in_turn.append(rss_mb(server.pid))

        owner = Client(url, verbose=False)
        owner.predict(variant="wgan-gp", dataset="mnist", steps=1_000_000, api_name="/wgan_start")
        time.sleep(5)  # let the job run and the first snapshot exist
        rss_start = rss_mb(server.pid)

        # Isolation: a stranger's stop and poll must not reach the owner's job.
        stranger = Client(url, verbose=False)
        stranger.predict(api_name="/wgan_stop")
        owner_status, stranger_status = status_of(owner), status_of(stranger)
        isolation_ok = owner_status.startswith("**Training**") and stranger_status == ""
        print(f"in turn: {[round(r) for r in rss_in_turn]} MB; polling from {rss_start:.0f} MB", flush=True)

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + 60 * args.minutes
        max_polls = int(60 * args.minutes * args.hz) + 1

        # The page's timer polls outside the queue (`queue=False`): the browser POSTs the event to
        # /gradio_api/run/predict, one request with the answer in its response. So do the pollers
        # here, each in its own session, so that the numbers are the server's and not gradio_client's
        # (whose queue protocol alone takes about 100 ms a call on this machine).
        config = httpx.get(url + "config", timeout=30).json()
        poll_fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "wgan_poll")

        def poller(client: Client) -> None:
            with httpx.Client(timeout=30) as http:
                for _ in range(max_polls):  # bounded in count as well as in time
                    if time.monotonic() >= deadline:
                        return
                    t = time.perf_counter()
                    try:
                        if args.transport == "client":
                            client.predict(api_name="/" + args.endpoint)
                        else:
                            r = http.post(url + "gradio_api/run/predict",
                                          json={"fn_index": poll_fn, "data": [], "session_hash": client.session_hash})
                            r.raise_for_status()
                        with lock:
                            latencies.append(time.perf_counter() - t)
                    except Exception as err:  # counted and reported, never hidden
                        with lock:
                            errors.append(f"{type(err).__name__}: {err}")
                    time.sleep(max(0.0, 1 / args.hz - (time.perf_counter() - t)))

        clients = [owner, stranger] + [Client(url, verbose=False) for _ in range(args.sessions - 2)]
        threads = [threading.Thread(target=poller, args=(c,)) for c in clients[:args.sessions]]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        rss_end = rss_mb(server.pid)
        final = status_of(owner)
        owner.predict(api_name="/wgan_stop")
        lat = sorted(latencies)
        result = {
            "sessions": args.sessions, "hz": args.hz, "minutes": args.minutes, "polls": len(lat),
            "errors": len(errors), "first_errors": errors[:3],
            "latency_median_ms": round(1000 * statistics.median(lat), 1) if lat else None,
            "latency_p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1) if lat else None,
            "latency_max_ms": round(1000 * lat[-1], 1) if lat else None,
            "rss_idle_mb": round(rss_idle, 1), "rss_after_each_in_turn_mb": [round(r, 1) for r in rss_in_turn],
            "rss_in_turn_growth_mb": round(max(rss_in_turn) - rss_in_turn[0], 1) if rss_in_turn else None,
            "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
            "rss_growth_mb": round(rss_end - rss_start, 1), "gradio_temp_mb": round(folder_mb(temp_dir), 2),
            "isolation_ok": isolation_ok, "job_status_at_end": str(final)[:200],
            "transport": ("POST /gradio_api/run/predict, as the page's timer (queue=False)" if args.transport == "page"
                          else f"gradio_client predict /{args.endpoint} (join the queue, read the answer's stream; "
                               f"TLS context {args.tls})"),
            "cpu": f"{cpu_model()} x{os.cpu_count()}", "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    finally:
        stop_app(server)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    ok = (not errors and isolation_ok and result["rss_growth_mb"] <= 100
          and (result["rss_in_turn_growth_mb"] or 0) <= 300)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
