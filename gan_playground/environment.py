"""Numbers from the environment (`GAN_PLAYGROUND_*`), all read one way: unset or empty gives the
default, a value that is no number is an error naming the variable (never silently the default),
and a value under the floor is either raised to it (a floor the app needs, e.g. a ZeroGPU slice of
at least 5 s) or an error.
"""

from __future__ import annotations

import math
import os

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
