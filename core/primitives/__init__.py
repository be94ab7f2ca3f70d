"""The primitive set: each module defines primitives (abstract eval + NumPy impl)
and their StableHLO-style binding functions (what `irax.lax` exports)."""
