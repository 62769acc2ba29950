import numpy as np
import pytest
import torch

# The seed problem family, shared with the benchmarks (pytest's pythonpath has benchmarks/).
from _seed_problem import SEED_RULES, make_regression_twin, make_seed_problem  # noqa: F401

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything():
    torch.manual_seed(0)
    np.random.seed(0)
