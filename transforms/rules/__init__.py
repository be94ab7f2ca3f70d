"""Transformation rules of every primitive, one module per primitive family (the
families of core/primitives/): each module holds its primitives' JVP, transpose and
batching rules and registers them in the tables of transforms/ad.py (`JVP_RULES`,
`TRANSPOSE_RULES`, `NOT_DIFFERENTIABLE`) and transforms/batching.py (`BATCH_RULES`,
`RULES_TAKING_AXIS_INFO`).  Importing this package fills those tables.

Shared pieces: `helpers` (rule constructors such as `defjvp`, dtype constants, batch
dimension arithmetic) and `subgraphs` (JVP, transposition and batching of whole
sub-Graphs, for the control-flow and call primitives).
"""
from . import (  # noqa: F401  (each module fills the rule tables)
    call,
    collectives,
    control_flow,
    conv,
    elementwise,
    fft,
    indexing,
    linalg,
    reductions,
    special,
    sorting,
    structural,
    windowed,
)
