"""Graph → StableHLO lowering (built by the jit issue): one rule per primitive."""
