"""Transforms: Graph→Graph rewrites and the interpreters behind them (ad, batching, jit)."""
