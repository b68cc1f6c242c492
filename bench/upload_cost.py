"""What a visitor's uploads can cost the server: memory and disk, measured on loopback.

    python bench/upload_cost.py [--json bench/upload_cost.json]

Starts `python app.py` on a free port of 127.0.0.1 (nothing else is contacted) and, as one page,
uploads to the 2-D Lab about the largest checkpoint a visitor can send (a WGAN-GP with toy_width=2850:
its model.safetensors is 188 MiB, under Gradio's 200 MB a file; all files together may reach the
app's 256 MiB cap with a training state), then the same again under other steps
until the tab lets the oldest go, then a zip bomb (a few hundred kB declaring 2 GiB). After each,
it reads the server's resident memory (now and its peak, VmHWM) and the disk held by the app's
temp folder and Gradio's upload folder. Bounded: a fixed number of requests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from apps import REPO, cpu_model, rss_mb, start_app, stop_app  # bench/apps.py

sys.path.insert(0, str(REPO))


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.exists() else 0.0


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def largest_checkpoint(where: Path) -> Path:
    from gan_playground.checkpoints import save_checkpoint
    from gan_playground.config import RunConfig
    from gan_playground.run import prepare_run

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, device="cpu"),
                      {"toy_width": "2850"})
    return save_checkpoint(where / "wgan-gp-toy-8gaussians-big", run, step=1)


def zip_bomb(where: Path, checkpoint: Path) -> Path:
    bomb = where / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ck/config.json", (checkpoint / "config.json").read_text())
        with zf.open("ck/model.safetensors", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(2048):
                member.write(zeros)
    return bomb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from gradio_client import Client, handle_file

    work = Path(tempfile.mkdtemp(prefix="upload-cost-"))
    gradio_tmp, app_tmp_root = work / "gradio", work / "tmp"
    app_tmp_root.mkdir()
    big = largest_checkpoint(work)
    files_mb = folder_mb(big)
    bomb = zip_bomb(work, big)
    env = {**os.environ, "GRADIO_TEMP_DIR": str(gradio_tmp), "TMPDIR": str(app_tmp_root),
           "GAN_PLAYGROUND_UI_SAVES": str(work / "saves")}
    server, url = start_app(env)
    rows = []

    def measure(what: str, message: str = "") -> None:
        time.sleep(1.0)
        rows.append({"after": what, "rss_mb": round(rss_mb(server.pid)), "peak_rss_mb": round(peak_mb(server.pid)),
                     "app_tmp_mb": round(folder_mb(app_tmp_root)), "gradio_uploads_mb": round(folder_mb(gradio_tmp)),
                     "message": message[:100]})
        print(json.dumps(rows[-1]), flush=True)

    try:
        client = Client(url, verbose=False)
        client.predict(api_name="/lab_poll")
        measure("start")
        for i in range(4):
            config = json.loads((big / "config.json").read_text())
            config["step"] = i + 1  # another name each time: the tab keeps its last 3
            (big / "config.json").write_text(json.dumps(config))
            files = [handle_file(str(f)) for f in sorted(big.iterdir())]
            message = client.predict(checkpoint=None, files=files, api_name="/lab_load_checkpoint")[0]
            measure(f"upload {i + 1} ({files_mb:.0f} MiB of files)", message)
        message = client.predict(checkpoint=None, files=[handle_file(str(bomb))], api_name="/lab_load_checkpoint")[0]
        measure(f"zip bomb ({bomb.stat().st_size / 2**10:.0f} kB declaring 2 GiB)", message)
    finally:
        stop_app(server)
    result = {"machine": f"{cpu_model()}, {os.cpu_count()} cores", "command": "python bench/upload_cost.py",
              "largest_upload_mib": round(files_mb), "rows": rows,
              "app_tmp_after_stop_mb": round(folder_mb(app_tmp_root))}
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
