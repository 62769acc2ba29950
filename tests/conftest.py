import numpy as np
import pytest
import torch

# One torch thread, as in the benchmarks (two are erratic and slower on small machines). The
# data of the tests come from sklearn_sparse_mlp.datasets.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything():
    torch.manual_seed(0)
    np.random.seed(0)
