"""An installed copy, not the source tree: the wheel is built, installed into a fresh folder, and
its command line run from elsewhere (issue 17.1: it once found no evaluation classifier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    wheels = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheels.glob("gan_playground-*.whl"))
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:  # a wheel is a zip; unpacking it is what installing puts in place
        names = zf.namelist()
        zf.extractall(target)
    return target, names


def run_installed(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-m", "gan_playground", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_ships_the_evaluation_classifiers_and_no_source_tree(installed):
    _, names = installed
    for data in ("mnist", "fashion-mnist"):
        assert f"gan_playground/classifiers/classifier-{data}/model.safetensors" in names
    assert not any(n.startswith(("tests/", "checkpoints/", "bench/")) for n in names)


@pytest.mark.slow
def test_an_installed_copy_lists_scores_and_samples_from_another_folder(installed, tmp_path):
    target, _ = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = run_installed(target, elsewhere, "models")
    assert listed.returncode == 0 and "wgan-gp" in listed.stdout
    scored = run_installed(target, elsewhere, "eval", str(REPO / "checkpoints" / "acgan-mnist"), "--samples", "200")
    assert scored.returncode == 0, scored.stderr[-2000:]
    scores = json.loads(scored.stdout)
    assert scores["cond_acc"] > 0.9 and scores["fid"] > 0
    sampled = run_installed(target, elsewhere, "sample", str(REPO / "checkpoints" / "wgan-gp-mnist"), "--n", "16",
                            "--out", "grid.png")
    assert sampled.returncode == 0 and (elsewhere / "grid.png").stat().st_size > 1000


def test_the_installed_package_is_the_one_that_ran(installed, tmp_path):
    target, _ = installed
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import gan_playground, gan_playground.metrics as m; "
                            "print(gan_playground.__file__); print(m.CLASSIFIER_ROOT)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    package, classifiers = where.stdout.split()
    assert package.startswith(str(target)) and classifiers.startswith(str(target))


def test_the_cpu_requirements_install_torchs_cpu_build_with_the_same_bounds():
    """requirements-cpu.txt (a CPU Space's pre-requirements.txt) must satisfy requirements.txt's torch
    lines, or pip would fetch the default wheel and its CUDA libraries after all."""
    def lines(name: str) -> list[str]:
        return [ln.strip() for ln in (REPO / name).read_text().splitlines() if ln.strip() and not ln.startswith("#")]

    cpu, main = lines("requirements-cpu.txt"), lines("requirements.txt")
    assert cpu[0] == "--index-url https://download.pytorch.org/whl/cpu"
    torch_lines = [ln for ln in main if ln.split(">")[0].split("=")[0] in ("torch", "torchvision")]
    assert sorted(cpu[1:]) == sorted(torch_lines) and len(torch_lines) == 2
    assert not any(ln.startswith("--") for ln in main)  # `pip install -r requirements.txt` works everywhere
