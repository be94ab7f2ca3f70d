"""irax.nn.initializers: JAX's parameter initializers."""
