"""irax.example_libraries.optimizers: JAX's first-order optimizers."""
