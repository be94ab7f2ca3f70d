"""Lowering of the special-function primitives."""
