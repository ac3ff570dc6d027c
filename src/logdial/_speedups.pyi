# The C type of _speedups.c; logdial._lazy.PyLazyString is the same in Python.
from collections.abc import Callable

class LazyString:
    """
    A log argument whose text is computed only if a record is actually formatted:
    ``str()`` returns ``str(func(*args, **kwargs))``.
    """

    @property
    def func(self) -> Callable[..., object]: ...
    @property
    def args(self) -> tuple[object, ...]: ...
    @property
    def keywords(self) -> dict[str, object]: ...
    def __init__(self, func: Callable[..., object], /, *args: object, **kwargs: object) -> None: ...
    def __call__(self, *args: object, **kwargs: object) -> object: ...
