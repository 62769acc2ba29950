"""Cost of one training step of M small networks: one at a time, or stacked as one module.

The fast-CV issue's premise: a CV fit trains the full-data path, the fold paths and the relaxed
refits, many networks of one architecture whose steps are dominated by per-step overhead, not
arithmetic. This measures, for M networks of the digits shape (batch 200, 64 features, 64
hidden units, 10 classes; one torch thread), the time of one step (forward, cross-entropy,
backward, Adam step, group prox of the first layer with Adam's per-coordinate step):

- ``loop``: M separate ``nn.Sequential`` networks, each with its own Adam, one after another
  (what the path does today, minus skorch);
- ``bmm``: one module whose weights carry a leading model dimension, ``torch.baddbmm``
  forward, one Adam over the stacked parameters (each model's batch from its own rows);
- ``vmap``: ``torch.func.stack_module_state`` + ``vmap(functional_call)`` of the same
  network, one Adam over the stacked parameters;

each with Adam's default (for-loop), ``foreach=True`` and ``fused=True`` implementations, and
the group prox of the package applied per model or once to the stacked weight (the columns of
all models side by side: the prox is per column, so the result is the same).

Printed: milliseconds per step and the speed-up over ``loop`` with the default Adam.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_batched_step.py [--models 4 16] [--steps 300]``
"""

import argparse
import time

import torch
from torch import nn

from sklearn_sparse_mlp._optim import effective_step
from sklearn_sparse_mlp._prox import group_soft_threshold

torch.set_num_threads(1)
N_ROWS, N_FEATURES, N_HIDDEN, N_CLASSES, BATCH = 1257, 64, 64, 10, 200
ALPHA = 0.01


def data(generator):
    X = torch.randn(N_ROWS, N_FEATURES, generator=generator)
    y = torch.randint(0, N_CLASSES, (N_ROWS,), generator=generator)
    return X, y


def adam(params, kind):
    options = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[kind]
    return torch.optim.Adam(params, lr=1e-2, **options)


class Stacked(nn.Module):
    """M one-hidden-layer MLPs with stacked weights: input (M, B, p) -> logits (M, B, K)."""

    def __init__(self, n_models, generator):
        super().__init__()

        def uniform(*shape, fan_in):
            bound = fan_in**-0.5
            return nn.Parameter((torch.rand(*shape, generator=generator) * 2 - 1) * bound)

        self.w1 = uniform(n_models, N_HIDDEN, N_FEATURES, fan_in=N_FEATURES)
        self.b1 = uniform(n_models, 1, N_HIDDEN, fan_in=N_FEATURES)
        self.w2 = uniform(n_models, N_CLASSES, N_HIDDEN, fan_in=N_HIDDEN)
        self.b2 = uniform(n_models, 1, N_CLASSES, fan_in=N_HIDDEN)

    def forward(self, X):
        hidden = torch.relu(torch.baddbmm(self.b1, X, self.w1.transpose(1, 2)))
        return torch.baddbmm(self.b2, hidden, self.w2.transpose(1, 2))


def stacked_prox(optimizer, weight):
    """The group prox of every model's first layer at once: (M, H, p) seen as (H, M * p)."""
    step = effective_step(optimizer, weight, optimizer.param_groups[0]["lr"])
    if step is None:
        return
    n_models = weight.shape[0]
    flat = weight.permute(1, 0, 2).reshape(N_HIDDEN, n_models * N_FEATURES)
    flat_step = step.permute(1, 0, 2).reshape(N_HIDDEN, n_models * N_FEATURES)
    with torch.no_grad():
        new = group_soft_threshold(flat, flat_step, ALPHA)
        weight.copy_(new.reshape(N_HIDDEN, n_models, N_FEATURES).permute(1, 0, 2))


def time_loop(n_models, kind, steps, X, y, generator):
    nets = [nn.Sequential(nn.Linear(N_FEATURES, N_HIDDEN), nn.ReLU(),
                          nn.Linear(N_HIDDEN, N_CLASSES)) for _ in range(n_models)]
    optimizers = [adam(net.parameters(), kind) for net in nets]
    start = time.perf_counter()
    for _ in range(steps):
        for net, optimizer in zip(nets, optimizers, strict=True):
            rows = torch.randint(0, N_ROWS, (BATCH,), generator=generator)
            loss = nn.functional.cross_entropy(net(X[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            weight = net[0].weight
            step = effective_step(optimizer, weight, 1e-2)
            with torch.no_grad():
                weight.copy_(group_soft_threshold(weight, step, ALPHA))
    return (time.perf_counter() - start) / steps


def time_stacked(n_models, kind, steps, X, y, generator, use_vmap):
    module = Stacked(n_models, generator)
    optimizer = adam(module.parameters(), kind)
    if use_vmap:
        single = nn.Sequential(nn.Linear(N_FEATURES, N_HIDDEN), nn.ReLU(),
                               nn.Linear(N_HIDDEN, N_CLASSES)).to("meta")
        params, _ = torch.func.stack_module_state(
            [nn.Sequential(nn.Linear(N_FEATURES, N_HIDDEN), nn.ReLU(),
                           nn.Linear(N_HIDDEN, N_CLASSES)) for _ in range(n_models)]
        )
        params = {name: nn.Parameter(value) for name, value in params.items()}
        optimizer = adam(params.values(), kind)

        def forward(p, x):
            return torch.func.functional_call(single, p, (x,))

        batched = torch.vmap(forward)
        weight = params["0.weight"]
    else:
        weight = module.w1
    start = time.perf_counter()
    for _ in range(steps):
        rows = torch.randint(0, N_ROWS, (n_models, BATCH), generator=generator)
        logits = batched(params, X[rows]) if use_vmap else module(X[rows])
        # each model's mean loss, summed: the gradients of the models stay separate
        loss = nn.functional.cross_entropy(logits.reshape(-1, N_CLASSES), y[rows].reshape(-1),
                                           reduction="sum") / BATCH
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        stacked_prox(optimizer, weight)
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    generator = torch.Generator().manual_seed(0)
    X, y = data(generator)
    print(f"one step of M networks {N_FEATURES}-{N_HIDDEN}-{N_CLASSES}, batch {BATCH}, Adam + "
          f"group prox, torch threads {torch.get_num_threads()}")
    print(f"{'M':>3}  {'engine':<6}  {'Adam':<8}  {'ms/step':>8}  {'speed-up':>8}")
    for n_models in args.models:
        base = None
        for engine in ("loop", "bmm", "vmap"):
            for kind in ("default", "foreach", "fused"):
                if engine == "loop":
                    seconds = time_loop(n_models, kind, args.steps, X, y, generator)
                else:
                    seconds = time_stacked(n_models, kind, args.steps, X, y, generator,
                                           use_vmap=engine == "vmap")
                base = base or seconds
                print(f"{n_models:>3}  {engine:<6}  {kind:<8}  {1e3 * seconds:>8.2f}  "
                      f"{base / seconds:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
