"""Process-wide objects (engine, SDK clients, HTTP sessions) made at first use, never at import.

Every such object in `lib/` is a `@lazy` factory: the first call makes it under a
lock, later calls return it, `factory.reset()` closes and forgets it (tests change
settings between cases), and `reset_all()` forgets every one of them at once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")

_FACTORIES: list["Lazy[Any]"] = []


class Lazy(Generic[T]):
    """A factory called once; `reset()` undoes it."""

    def __init__(self, make: Callable[[], T], close: Callable[[T], None] | None) -> None:
        self._make = make
        self._close = close
        self._lock = threading.Lock()
        self._value: T | None = None
        self.__doc__ = make.__doc__
        self.__name__ = make.__name__
        _FACTORIES.append(self)

    def __call__(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._make()
                value = self._value
        return value

    @property
    def made(self) -> bool:
        """Whether the object exists now (tests check that nothing is made at import)."""
        return self._value is not None

    def reset(self) -> None:
        """Close (if a closer was given) and forget the object; the next call makes a new one."""
        with self._lock:
            value, self._value = self._value, None
        if value is not None and self._close is not None:
            self._close(value)


def lazy(close: Callable[[Any], None] | None = None) -> Callable[[Callable[[], T]], Lazy[T]]:
    """Decorate a no-argument factory so it runs at first use; `close` releases what it made."""

    def wrap(make: Callable[[], T]) -> Lazy[T]:
        return Lazy(make, close)

    return wrap


def reset_all() -> None:
    """Forget every lazily made object (tests, between cases)."""
    for factory in _FACTORIES:
        factory.reset()
