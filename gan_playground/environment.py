"""Every `GAN_PLAYGROUND_*` setting is read here, one way: unset or empty gives the default; a value
that does not fit is a UserError naming the variable and what it takes (never silently the default).
Numbers under their floor are either raised to it (a floor the app needs, e.g. a ZeroGPU slice of
at least 5 s) or an error. The README's settings table names each one (tests/test_environment.py).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from gan_playground.errors import UserError


def env_number(name: str, default: float, *, low: float = 0.0, whole: bool = False, raise_to_low: bool = False,
               above: bool = False, unit: str = "") -> float:
    """`name` from the environment as a number (an int when `whole`), at least `low` (strictly above
    it when `above`). `unit` words the error, e.g. " of seconds"."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    kind = f"a whole number{unit}" if whole else f"a number{unit}"
    try:
        value: float = int(text) if whole else float(text)
    except ValueError:
        raise UserError(f"{name}={text!r} is not {kind}.") from None
    if not math.isfinite(value):
        raise UserError(f"{name}={text!r} is not {kind}.")
    if value < low or (above and value == low):
        if raise_to_low and not above:
            return low
        raise UserError(f"{name} must be {'above' if above else 'at least'} {low:g}, got {text}.")
    return value


def env_text(name: str, default: str = "") -> str:
    """`name` from the environment, stripped; `default` when unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_path(name: str, default: Path | None = None) -> Path | None:
    """A folder from the environment (`~` expanded); `default` when unset or empty."""
    text = env_text(name)
    return Path(text).expanduser() if text else default


def env_choice(name: str, choices: dict[str, tuple[str, ...]], default: str) -> str:
    """One of `choices` (each with the spellings it accepts, e.g. {"1": ("1", "on", "true")}),
    case-insensitive; `default` when unset or empty."""
    text = env_text(name).lower()
    if not text:
        return default
    for choice, spellings in choices.items():
        if text == choice or text in spellings:
            return choice
    raise UserError(f"{name}={text!r} is not one of {', '.join(choices)}.")


ON_OFF = {"1": ("true", "yes", "on"), "0": ("false", "no", "off")}
