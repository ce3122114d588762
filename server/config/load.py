"""Reading config.toml: the file, its TOML, its depth, then the models and the rules across tables."""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .across import good_part, problems_across
from .messages import place, problem
from .models import Config

MAX_DEPTH = 16              # arrays and tables inside each other; a real config needs 4


class ConfigError(Exception):
    """Everything wrong with a config; ``problems`` are ``"<place>: <message>"`` lines."""

    def __init__(self, source: str | os.PathLike, problems: list[str]):
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self.source, self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'' if n == 1 else 's'}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def load_config(path: str | os.PathLike) -> Config:
    """Read, parse and validate a config file; raise ``ConfigError`` for anything wrong with it."""
    path = Path(path)
    return _validate(_read_toml(path), path.resolve(), source=str(path))


def parse_config(data: Any, base_dir: str | os.PathLike, source: str = "config.toml") -> Config:
    """Validate already-parsed TOML as if it were the file ``base_dir / source``."""
    return _validate(data, Path(base_dir).resolve() / Path(source).name, source=source)


def _validate(data: Any, path: Path, source: str) -> Config:
    if too_deep := _too_deep(data):
        raise ConfigError(source, [too_deep])
    try:
        config, errors = Config.model_validate(data, context={"path": path}), []
    except ValidationError as e:
        errors = e.errors(include_url=False)
    problems = [problem(error) for error in errors]
    doc = good_part(data, [error["loc"] for error in errors])
    problems += problems_across(doc) if doc is not None else []
    if problems:
        raise ConfigError(source, problems)
    return config


def _too_deep(data: Any) -> str | None:
    """Arrays or tables nested beyond MAX_DEPTH (or a Python structure that contains itself),
    found without recursion: named by their top-level key, before anything recurses into them."""
    stack = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            return f"{place(loc[:1])}: arrays or tables nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            stack += [(v, (*loc, k)) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, (*loc, i)) for i, v in enumerate(value)]
    return None


def _read_toml(path: Path) -> dict:
    def fail(place: str, message: str) -> ConfigError:
        return ConfigError(path, [f"{place}: {message}"])

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("file", "not found") from None
    except IsADirectoryError:
        raise fail("file", "is a folder, not a file") from None
    except OSError as e:
        raise fail("file", f"cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")          # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise fail(f"line {line}", "not UTF-8 text; save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise fail(*_toml_error_place(str(e))) from None
    except RecursionError:                      # tomllib recurses once per nested array or table
        raise fail("file", f"arrays or tables nested more than {MAX_DEPTH} levels deep") from None


def _toml_error_place(message: str) -> tuple[str, str]:
    """Split tomllib's "Invalid value (at line 3, column 7)" into place and message."""
    m = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.S)
    if m:
        return f"line {m[2]}, column {m[3]}", f"invalid TOML ({m[1]})"
    m = re.fullmatch(r"(.*) \(at end of document\)", message, re.S)
    if m:
        return "end of file", f"invalid TOML ({m[1]})"
    return "file", f"invalid TOML ({message})"
