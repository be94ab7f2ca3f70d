"""What transforms need to know of the callables users hand them."""
import functools


def callable_name(fun) -> str:
    """The name logs and errors use for `fun`: its `__name__`; for a
    `functools.partial`, its function's; for another callable object, its class's.

    Example:
        >>> callable_name(functools.partial(pow, 2)), callable_name(lambda x: x)
        ('pow', '<lambda>')
    """
    while isinstance(fun, functools.partial):
        fun = fun.func
    name = getattr(fun, "__name__", None)
    return name if isinstance(name, str) else type(fun).__name__
