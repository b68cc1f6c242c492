"""Numbers from the environment, all read one way (gan_playground/environment.py)."""

from __future__ import annotations

import pytest

from gan_playground.environment import env_number
from gan_playground.errors import UserError
from gan_playground.ui.sessions import default_grace_s, default_max_jobs
from gan_playground.ui.tab import autosave_seconds


def test_unset_or_empty_is_the_default_and_a_bad_value_is_an_error_naming_it(monkeypatch):
    monkeypatch.delenv("GP_TEST_N", raising=False)
    assert env_number("GP_TEST_N", 7.0) == 7.0
    for value, wanted in (("", 7.0), (" 3 ", 3.0), ("2.5", 2.5)):
        monkeypatch.setenv("GP_TEST_N", value)
        assert env_number("GP_TEST_N", 7.0) == wanted
    for bad in ("soon", "nan", "inf"):
        monkeypatch.setenv("GP_TEST_N", bad)
        with pytest.raises(UserError, match=f"GP_TEST_N='{bad}' is not a number of seconds"):
            env_number("GP_TEST_N", 7.0, unit=" of seconds")
    monkeypatch.setenv("GP_TEST_N", "2.5")
    with pytest.raises(UserError, match="is not a whole number"):
        env_number("GP_TEST_N", 1, whole=True)
    monkeypatch.setenv("GP_TEST_N", "-1")
    with pytest.raises(UserError, match="GP_TEST_N must be at least 0, got -1"):
        env_number("GP_TEST_N", 1.0)
    assert env_number("GP_TEST_N", 1.0, low=5.0, raise_to_low=True) == 5.0  # a floor the app needs
    monkeypatch.setenv("GP_TEST_N", "0")
    with pytest.raises(UserError, match="must be above 0"):
        env_number("GP_TEST_N", 1.0, above=True)


def test_every_setting_refuses_a_bad_value_alike(monkeypatch):
    """A bad GAN_PLAYGROUND_AUTOSAVE_S once became 120 s silently while a bad MAX_JOBS was an error."""
    for name, read in (("GAN_PLAYGROUND_AUTOSAVE_S", autosave_seconds), ("GAN_PLAYGROUND_MAX_JOBS", default_max_jobs),
                       ("GAN_PLAYGROUND_SESSION_GRACE_S", default_grace_s)):
        monkeypatch.setenv(name, "lots")
        with pytest.raises(UserError, match=f"{name}='lots' is not a"):
            read()
        monkeypatch.delenv(name)


def test_the_readme_table_names_every_setting_the_package_reads():
    """Each `GAN_PLAYGROUND_*` variable in the package's source has a row in the README's settings
    table, and each row names one the package reads: a new setting cannot go undocumented."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    name = re.compile(r"GAN_PLAYGROUND_[A-Z][A-Z0-9_]*")
    read = {m for path in (root / "gan_playground").rglob("*.py") for m in name.findall(path.read_text("utf-8"))}
    rows = [line for line in (root / "README.md").read_text("utf-8").splitlines() if line.startswith("| `GAN_")]
    documented = {m for line in rows for m in name.findall(line.split("|")[1])}
    assert read - documented == set(), "settings without a README row"
    assert documented - read == set(), "README rows for settings the package no longer reads"


@pytest.mark.parametrize("name, bad, reader", [
    ("GAN_PLAYGROUND_WORKERS", "sometimes", "gan_playground.worker:mode"),
    ("GAN_PLAYGROUND_CUDA_GRAPHS", "maybe", "gan_playground.environment:_cuda_graphs_setting"),
    ("GAN_PLAYGROUND_THREADS", "two", "gan_playground.device:cpu_threads"),
    ("GAN_PLAYGROUND_THREADS", "0", "gan_playground.device:cpu_threads"),
    ("GAN_PLAYGROUND_AUTOSAVE_S", "soon", "gan_playground.ui.tab:autosave_seconds"),
])
def test_every_kind_of_setting_refuses_a_bad_value_by_its_name(monkeypatch, name, bad, reader):
    import importlib

    from gan_playground.environment import ON_OFF, env_choice

    module, attr = reader.split(":")
    read = (lambda: env_choice(name, ON_OFF, "1")) if attr == "_cuda_graphs_setting" else getattr(
        importlib.import_module(module), attr)
    monkeypatch.setenv(name, bad)
    with pytest.raises(UserError, match=name):
        read()
