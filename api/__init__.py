"""User namespaces (irax.numpy, irax.lax, irax.random, irax.nn, irax.tree_util,
irax.test_util), mapped in setup.cfg from the folders below this one."""
