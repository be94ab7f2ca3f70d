"""The primitive set (abstract eval + NumPy impl per primitive) and the StableHLO-named
binding functions that irax.lax exports."""
