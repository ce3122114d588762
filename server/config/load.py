"""Reading config.toml: the file, its TOML, the models, then the rules across tables.

Nothing here recurses into the document (pydantic does not descend into a value of the wrong
type, nor into an unknown key), so arrays nested 5,000 deep are one problem, not a RecursionError.
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .across import catalog, problems_across
from .messages import problem
from .models import Config

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
    return _validate(read_toml(path), path.resolve(), source=str(path))


def parse_config(data: Any, base_dir: str | os.PathLike, source: str = "config.toml") -> Config:
    """Validate already-parsed TOML as if it were the file ``base_dir / source``."""
    return _validate(data, Path(base_dir).resolve() / Path(source).name, source=source)


def _validate(data: Any, path: Path, source: str) -> Config:
    try:
        config, errors = Config.model_validate(data, context={"path": path}), []
    except ValidationError as e:
        errors = e.errors(include_url=False)
    problems = [problem(error) for error in errors]
    problems += problems_across(data, [error["loc"] for error in errors])
    found, procedures, file = catalog(data, [error["loc"] for error in errors], path)
    problems += found
    if problems:
        raise ConfigError(source, problems)
    config.lookup._file, config.lookup._procedures = file, procedures
    return config


def read_toml(path: str | os.PathLike) -> dict:
    """A TOML file as a dict, or a ConfigError with the place (shared by config.toml and hub.toml)."""
    path = Path(path)

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
        raise fail("file", "arrays or tables nested too deeply (a config needs a few levels)") from None


def _toml_error_place(message: str) -> tuple[str, str]:
    """Split tomllib's "Invalid value (at line 3, column 7)" into place and message."""
    m = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.S)
    if m:
        return f"line {m[2]}, column {m[3]}", f"invalid TOML ({m[1]})"
    m = re.fullmatch(r"(.*) \(at end of document\)", message, re.S)
    if m:
        return "end of file", f"invalid TOML ({m[1]})"
    return "file", f"invalid TOML ({message})"
