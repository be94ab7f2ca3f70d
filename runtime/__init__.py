"""IREE runtime side (built by the jit issue): compiler driver, compile cache, devices,
invocation and AOT artefacts.  Knows MLIR text and flags, not Graphs."""
