"""Lowering rule for `dot_general` (core/primitives/linalg.py)."""
from ..core.primitives import linalg
from .builder import FunctionBuilder, dims_list
from .lowering import LOWERING_RULES


def _dot_general(b: FunctionBuilder, lhs, rhs, *, dimension_numbers, preferred_element_type):
    """`stablehlo.dot_general`; with a `preferred_element_type`, the operands are
    converted to it first, as the impl does."""
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    out = b.avals_out[0]
    lhs, rhs = b.convert(lhs, out.dtype), b.convert(rhs, out.dtype)
    numbers = (f"#stablehlo.dot<lhs_batching_dimensions = {dims_list(lhs_batch)}, "
               f"rhs_batching_dimensions = {dims_list(rhs_batch)}, "
               f"lhs_contracting_dimensions = {dims_list(lhs_contract)}, "
               f"rhs_contracting_dimensions = {dims_list(rhs_contract)}>")
    return b.op("stablehlo.dot_general", [lhs, rhs], [out],
                {"dot_dimension_numbers": numbers})[0]


LOWERING_RULES[linalg.dot_general_p] = _dot_general
