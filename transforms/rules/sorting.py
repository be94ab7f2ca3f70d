"""JVP and batching rules of sort (core/primitives/sorting.py).

The JVP sorts an iota along with the operands and gathers the tangents by the
permutation; batching aligns the operands' batch dimensions and sorts once.
"""
import numpy as np

from irax.core.primitives import indexing as ix
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.primitives.indexing import GatherDimensionNumbers
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, Zero
from irax.transforms.batching import BATCH_RULES

from .helpers import align

# ---- JVP ------------------------------------------------------------------------------

def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    iotas = [st.broadcasted_iota(np.int32, shape, d) for d in range(len(shape))]
    outs = sorting.sort_p.bind(*primals, iotas[dimension], dimension=dimension,
                               is_stable=is_stable, num_keys=num_keys)
    perm = outs[-1]
    index = [perm if d == dimension else iotas[d] for d in range(len(shape))]
    indices = st.concatenate([st.reshape(i, shape + (1,)) for i in index], len(shape))
    gather_dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(
        range(len(shape))), start_index_map=tuple(range(len(shape))))
    t_out = [t if type(t) is Zero else ix.gather_p.bind(
        t, indices, dimension_numbers=gather_dn, slice_sizes=(1,) * len(shape),
        indices_are_sorted=False, unique_indices=True,
        mode=ix.GatherScatterMode.PROMISE_IN_BOUNDS, fill_value=None) for t in tangents]
    return list(outs[:-1]), t_out


JVP_RULES[sorting.sort_p] = _sort_jvp


# ---- batching -------------------------------------------------------------------------

def _sort_rule(vals, dims, *, dimension, is_stable, num_keys):
    operands, bdim = align(vals, dims)
    out = sorting.sort_p.bind(*operands, dimension=dimension + (dimension >= bdim),
                              is_stable=is_stable, num_keys=num_keys)
    return out, [bdim] * len(out)


BATCH_RULES[sorting.sort_p] = _sort_rule
