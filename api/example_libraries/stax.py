"""irax.example_libraries.stax: JAX's neural-network layer library."""
