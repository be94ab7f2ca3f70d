"""Lowering rule for `dot_general` (core/primitives/linalg.py)."""
from ..core.primitives import linalg
from .builder import FunctionBuilder, dims_list, i64_array
from .lowering import LOWERING_RULES


def _dot_general(b: FunctionBuilder, lhs, rhs, *, dimension_numbers, preferred_element_type):
    """`stablehlo.dot_general`; with a `preferred_element_type`, the operands are
    converted to it first, as the impl does."""
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    out = b.avals_out[0]
    lhs, rhs = b.convert(lhs, out.dtype), b.convert(rhs, out.dtype)
    if not lhs_contract:
        return _outer_product(b, lhs, rhs, lhs_batch, rhs_batch, out.shape)
    numbers = (f"#stablehlo.dot<lhs_batching_dimensions = {dims_list(lhs_batch)}, "
               f"rhs_batching_dimensions = {dims_list(rhs_batch)}, "
               f"lhs_contracting_dimensions = {dims_list(lhs_contract)}, "
               f"rhs_contracting_dimensions = {dims_list(rhs_contract)}>")
    return b.op("stablehlo.dot_general", [lhs, rhs], [out],
                {"dot_dimension_numbers": numbers})[0]


def _outer_product(b: FunctionBuilder, lhs, rhs, lhs_batch, rhs_batch, shape):
    """A dot_general without contracting dimensions (per-example weight gradients
    under vmap) as one broadcasting multiply: IREE's matmul code for a contraction
    of size 1 is several times slower than this elementwise, memory-bound form."""
    def spread(x, batch, free_start):
        free = [d for d in range(x.ndim) if d not in batch]
        order = list(batch) + free
        if order != sorted(order):
            x = b.emit("stablehlo.transpose", x, shape=tuple(x.shape[d] for d in order),
                       attrs={"permutation": i64_array(order)})
        dims = list(range(len(batch))) + list(range(free_start, free_start + len(free)))
        return b.broadcast_in_dim(x, shape, dims)

    num_lhs_free = lhs.ndim - len(lhs_batch)
    return b.emit("stablehlo.multiply", spread(lhs, lhs_batch, len(lhs_batch)),
                  spread(rhs, rhs_batch, len(lhs_batch) + num_lhs_free))


LOWERING_RULES[linalg.dot_general_p] = _dot_general
