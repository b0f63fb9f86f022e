import os

import pytest

from helpers import small_line

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def small():
    return small_line()
