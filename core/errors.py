"""User-facing errors raised by irax's tracing machinery."""


class ConcretizationTypeError(TypeError):
    """A traced value was used where Python needs a concrete one (`if`, `bool`, `int`)."""

    def __init__(self, tracer, context: str = ""):
        where = f" ({context})" if context else ""
        origin = getattr(tracer, "origin", None)
        source = f"\nThe value depends on {' and '.join(origin)}." if origin else ""
        super().__init__(
            f"Abstract tracer value encountered where a concrete value is expected{where}: "
            f"{tracer.aval.str_short()} traced by {tracer.transform_name()}.{source}\n"
            "Python control flow on a traced value cannot be compiled. Use lax.cond, "
            "lax.while_loop or lax.fori_loop for data-dependent control flow, or mark the "
            "argument static (static_argnums / static_argnames) if it is a Python constant.")


class UnexpectedTracerError(Exception):
    """A tracer escaped the transform that created it and was used afterwards."""

    def __init__(self, tracer):
        super().__init__(
            f"Encountered an unexpected tracer {tracer.aval.str_short()} created by "
            f"{tracer.transform_name()}, which has already returned. A function "
            "transformed by irax must not store traced values in globals or closures "
            "that outlive the call; return them as outputs instead.")


class ShapeError(TypeError):
    """Operands of an op have shapes or dtypes the op does not accept."""
