"""A bound on the compiled programs kept loaded in memory.

Every loaded program (a jitted signature's executable, an eager device kernel) holds
its IREE module, VM context and device-side constants: about 100 kB for a small
program, megabytes for a big one. A loop over shapes would keep them all. Loaded
programs are admitted here; past ``config.program_cache_size`` programs or
``config.program_cache_bytes`` bytes of compiled code, the least recently used one is
released (second-chance order: a program called since the last sweep gets another
round). A released program keeps its traced Graph and reloads from the compile cache
when it is called again; `clear()` (`irax.clear_caches()`) releases all of them.
"""
import threading
from collections import OrderedDict

from irax.core.config import config


class Loadable:
    """What the bound manages: `release()` drops the loaded executable (thread-safe),
    and `recently_used` is set by every call."""

    recently_used: bool

    def release(self) -> None:
        raise NotImplementedError


_programs: "OrderedDict[int, tuple[Loadable, int]]" = OrderedDict()
_total_bytes = 0
_lock = threading.Lock()


def admit(program: Loadable, nbytes: int) -> None:
    """Registers a program that was just loaded (`nbytes`: its compiled code), then
    releases the least recently used ones beyond the configured bounds."""
    global _total_bytes
    released = []
    program.recently_used = True
    with _lock:
        key = id(program)
        if key in _programs:
            _total_bytes -= _programs.pop(key)[1]
        _programs[key] = (program, nbytes)
        _total_bytes += nbytes
        chances = 2 * len(_programs)  # a second round evicts whatever had a chance
        while len(_programs) > 1 and chances > 0 and (
                len(_programs) > config.program_cache_size
                or _total_bytes > config.program_cache_bytes):
            chances -= 1
            oldest_key, (oldest, size) = next(iter(_programs.items()))
            if oldest.recently_used:
                oldest.recently_used = False
                _programs.move_to_end(oldest_key)
                continue
            del _programs[oldest_key]
            _total_bytes -= size
            released.append(oldest)
    for old in released:  # outside the lock: release takes the program's own lock
        old.release()


def forget(program: Loadable) -> None:
    """Stops tracking `program` (it released itself)."""
    global _total_bytes
    with _lock:
        entry = _programs.pop(id(program), None)
        if entry is not None:
            _total_bytes -= entry[1]


def clear() -> None:
    """Releases every loaded program."""
    global _total_bytes
    with _lock:
        programs = [p for p, _ in _programs.values()]
        _programs.clear()
        _total_bytes = 0
    for program in programs:
        program.release()


def loaded_count() -> tuple[int, int]:
    """(number of loaded programs, bytes of their compiled code)."""
    with _lock:
        return len(_programs), _total_bytes
