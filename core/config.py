"""Global configuration flags: `irax.config.update(name, value)`.

Each flag has a default, an optional environment variable that overrides the
default at import time, and a parser for that variable.  Transforms read flags
through `config.<name>`; caches that depend on a flag include its value in their key.
As in JAX, the flags are process-wide: `update` in one thread changes them for all.
"""
import os
from collections.abc import Callable
from typing import Any, NamedTuple


class Flag(NamedTuple):
    default: Any
    env_var: str | None
    parse: Callable[[str], Any]
    help: str


def _parse_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


FLAGS: dict[str, Flag] = {
    "enable_x64": Flag(False, "IRAX_ENABLE_X64", _parse_bool,
                       "64-bit floats and ints by default (float64/int64)"),
    "log_compiles": Flag(False, "IRAX_LOG_COMPILES", _parse_bool,
                         "log every trace and compile with its reason and time"),
    "compilation_cache": Flag(True, "IRAX_COMPILATION_CACHE", _parse_bool,
                              "keep compiled programs on disk between processes"),
    "default_device": Flag(None, "IRAX_PLATFORM", str,
                           "platform or device new arrays and eager ops use"),
    "program_cache_size": Flag(128, "IRAX_PROGRAM_CACHE_SIZE", int,
                               "compiled programs kept loaded in memory (least recently "
                               "used ones are released first)"),
    "program_cache_bytes": Flag(128 << 20, "IRAX_PROGRAM_CACHE_BYTES", int,
                                "bytes of compiled code kept loaded in memory, and of "
                                "compiled code the compile cache keeps in memory"),
}


class Config:
    """Holds the current value of every flag in `FLAGS`.

    Example:
        >>> irax.config.update("enable_x64", True)
        >>> irax.config.enable_x64
        True
    """

    def __init__(self):
        self._values = {}
        self._listeners: list[Callable[[str, Any], None]] = []
        for name, flag in FLAGS.items():
            raw = os.environ.get(flag.env_var) if flag.env_var else None
            self._set(name, flag.default if raw is None else flag.parse(raw))

    def _set(self, name: str, value: Any) -> None:
        # Flags are also plain instance attributes: reading one is on jit's call path.
        self._values[name] = value
        self.__dict__[name] = value

    def update(self, name: str, value: Any) -> None:
        """Sets flag `name` to `value`; unknown names raise `AttributeError`."""
        if name not in FLAGS:
            raise AttributeError(f"irax.config has no flag {name!r}; flags: {sorted(FLAGS)}")
        self._set(name, value)
        for listener in self._listeners:
            listener(name, value)

    def on_update(self, listener: Callable[[str, Any], None]) -> None:
        """Registers `listener(name, value)`, called after every `update`."""
        self._listeners.append(listener)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(f"irax.config has no flag {name!r}") from None

    def __repr__(self) -> str:
        return f"Config({self._values})"


config = Config()
