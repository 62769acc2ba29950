"""The default grid's rule, as the tests check generated grids against it."""

import numpy as np


def grid_strides(alphas, n_features, n_dense, multiplier=1.25):
    """The stride (in powers of ``multiplier``) of each step of a generated grid, by the
    grid's rule, from what its path kept: 3 while every feature is kept, 2 after a step
    that dropped fewer than 3% of the features kept before it per grid step (when that is
    at least two features), else 1."""
    strides, kept, dropping = [], n_dense, False
    for i, n in enumerate(n_features[:-1]):
        # grid steps taken: a stride halved up to 3 times, so a multiple of 1/8
        taken = np.round(8 * np.log(alphas[i] / alphas[i - 1]) / np.log(multiplier)) / 8 \
            if i else 0.0
        slow = dropping and 0.03 * kept >= 2 and kept - n < taken * 0.03 * kept
        dropping = dropping or n < n_dense
        strides.append(3 if not dropping else 2 if slow else 1)
        kept = n
    return np.array(strides)
