"""Typed run configuration: one place that knows every setting, its range and its help.

Each model family declares a dataclass whose fields are made with :func:`param`. The same
metadata validates `--set key=value` on the command line, builds the UI's controls and is
saved as JSON beside the weights, so a value that is accepted anywhere is accepted everywhere.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from gan_playground.errors import ConfigError, brief


def param(default: Any, help: str, *, low: float | None = None, high: float | None = None,
          ui: bool = True, before: Any = None) -> Any:
    """A config field with a help text and an inclusive numeric range.

    `ui=False` keeps expert settings off the UI's main controls (they stay settable by `--set`).
    `before`: for a setting added after checkpoints were shared, the value that means what those
    checkpoints did (their config.json lacks the key); None: the default means it.
    """
    meta = {"help": help, "low": low, "high": high, "ui": ui, "before": before}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldSpec:
    """What a UI or a parser needs to know about one setting."""

    name: str
    kind: str  # "int" | "float" | "bool" | "choice" | "pair" | "str"
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    ui: bool = True


def settings_before(config_cls: type, saved: dict[str, Any]) -> dict[str, Any]:
    """`saved` (a checkpoint's settings) plus the `before` value of each newer setting it lacks."""
    missing = {f.name: f.metadata["before"] for f in dataclasses.fields(config_cls)
               if f.name not in saved and f.metadata.get("before") is not None}
    return {**missing, **saved}


def field_specs(config_cls: type) -> list[FieldSpec]:
    hints = typing.get_type_hints(config_cls)
    specs = []
    for f in dataclasses.fields(config_cls):
        hint = hints[f.name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        meta = f.metadata
        choices: tuple[str, ...] = ()
        if typing.get_origin(hint) is Literal:
            kind, choices = "choice", tuple(typing.get_args(hint))
        elif hint is bool:
            kind = "bool"
        elif hint is int:
            kind = "int"
        elif hint is float:
            kind = "float"
        elif typing.get_origin(hint) is tuple:
            kind = "pair"
        else:
            kind = "str"
        specs.append(FieldSpec(f.name, kind, default, meta.get("help", ""), meta.get("low"),
                               meta.get("high"), choices, meta.get("ui", True)))
    return specs


def _range_text(spec: FieldSpec) -> str:
    if spec.kind == "choice":
        return "one of " + ", ".join(spec.choices)
    if spec.kind == "bool":
        return "true or false"
    lo = "" if spec.low is None else f"{spec.low:g}"
    hi = "" if spec.high is None else f"{spec.high:g}"
    what = "two numbers" if spec.kind == "pair" else ("an integer" if spec.kind == "int" else "a number")
    if lo or hi:
        return f"{what} in [{lo or '-inf'}, {hi or 'inf'}]"
    return what


def _parse_number(spec: FieldSpec, text: Any) -> float | int:
    if isinstance(text, bool):
        raise ValueError
    if spec.kind == "int":
        if isinstance(text, float):
            if not text.is_integer():
                raise ValueError
            return int(text)
        return int(str(text).strip())
    value = float(str(text).strip()) if not isinstance(text, (int, float)) else float(text)
    return value


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Turn a string from the CLI (or a value from the UI or JSON) into the field's type, checked."""
    bad = ConfigError(f"{spec.name}={brief(value)} is not valid: expected {_range_text(spec)}.")
    try:
        if spec.kind == "choice":
            text = str(value).strip()
            if text not in spec.choices:
                raise bad
            return text
        if spec.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise bad
        if spec.kind == "pair":
            parts = value if isinstance(value, (list, tuple)) else str(value).strip("()[] ").split(",")
            if len(parts) != 2:
                raise bad
            pair = tuple(_parse_number(FieldSpec("", "float", 0, ""), p) for p in parts)
            for v in pair:
                _check_range(spec, v, bad)
            return pair
        if spec.kind in ("int", "float"):
            number = _parse_number(spec, value)
            _check_range(spec, number, bad)
            return number
        return str(value)
    except (ValueError, TypeError, OverflowError):
        raise bad from None


def _check_range(spec: FieldSpec, v: float, bad: ConfigError) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise bad
    if spec.low is not None and v < spec.low:
        raise bad
    if spec.high is not None and v > spec.high:
        raise bad


def build_config(config_cls: type, overrides: dict[str, Any] | None = None, *, base: Any = None) -> Any:
    """A validated `config_cls` from defaults (or `base`) plus `overrides` (strings allowed)."""
    specs = {s.name: s for s in field_specs(config_cls)}
    values = dataclasses.asdict(base) if base is not None else {n: s.default for n, s in specs.items()}
    for key, raw in (overrides or {}).items():
        if key not in specs:
            raise ConfigError(f"Unknown setting {key!r}. Valid settings: {', '.join(specs)}.")
        values[key] = coerce(specs[key], raw)
    for name, spec in specs.items():  # defaults and `base` are checked as well
        values[name] = coerce(spec, values[name])
    cfg = config_cls(**values)
    check = getattr(cfg, "check", None)
    if check is not None:
        check()
    return cfg


def parse_set_options(items: list[str] | None) -> dict[str, str]:
    """`["lr=1e-4", "betas=0.5,0.9"]` -> `{"lr": "1e-4", "betas": "0.5,0.9"}`."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}.")
        out[key.strip()] = value.strip()
    return out


def format_setting(value: Any) -> str:
    """A setting as `--set key=VALUE` takes it (and messages quote it): `0.5,0.9` for a pair."""
    if isinstance(value, (list, tuple)):
        return ",".join(f"{x:g}" for x in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


# ----------------------------------------------------------------------------------------------
# Settings shared by every run, whatever the model.

@dataclass(frozen=True)
class RunConfig:
    """How to train: the data, the budget and the machine. The model's own settings live apart."""

    model: str = param("wgan-gp", "model name (`python -m gan_playground models` lists them)")
    dataset: str = param("mnist", "data set name, or folder:PATH")
    steps: int = param(2000, "training steps (generator updates)", low=1, high=10_000_000)
    batch_size: int = param(64, "examples per batch", low=1, high=4096)
    device: Literal["auto", "cpu", "cuda", "mps"] = param("auto", "where to train: auto picks CUDA, then MPS, then CPU")
    seed: int = param(0, "seed of weights, batches and noise", low=0, high=2**63 - 1)
    lr_decay: Literal["none", "linear"] = param(
        "none", "linear: every learning rate falls in a straight line from its setting to 0 at the last step")
    precision: Literal["fp32", "bf16"] = param(
        "fp32", "bf16: the training step's matrix products run in bfloat16 under torch.autocast, weights and "
                "optimizer state stay fp32 (faster on CPUs with AMX or AVX512-BF16 and on recent GPUs)")
