"""Shared fixtures: x64 toggling that always restores the previous setting."""
import pytest

import irax


@pytest.fixture
def x64():
    """Runs the test with 64-bit dtypes enabled (float64 default)."""
    previous = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    yield
    irax.config.update("enable_x64", previous)
