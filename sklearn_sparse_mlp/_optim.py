"""The step an optimizer really took on a parameter, scalar or per coordinate.

A proximal step after ``optimizer.step()`` must use the same step size as the gradient step it
follows (ProxGen: Yun, Lozano and Yang, NeurIPS 2021), or it minimises another objective:
heavy-ball SGD with the plain ``lr`` converges to the lasso of ``(1 - momentum) * alpha``, and
Adam with a scalar ``lr`` to no lasso at all.
"""

import torch

SUPPORTED_OPTIMIZERS = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad)


def check_optimizer(optimizer, param_group):
    """Raise a ValueError if the prox cannot follow ``optimizer`` on ``param_group``."""
    if not isinstance(optimizer, SUPPORTED_OPTIMIZERS):
        names = ", ".join(f"torch.optim.{cls.__name__}" for cls in SUPPORTED_OPTIMIZERS)
        raise ValueError(
            f"The proximal step cannot follow the optimizer {type(optimizer).__name__}: its "
            f"per-coordinate step size is unknown. Use one of {names}."
        )
    decoupled = isinstance(optimizer, torch.optim.AdamW) or param_group.get(
        "decoupled_weight_decay", False
    )  # Adam(decoupled_weight_decay=True) is AdamW
    if isinstance(optimizer, (torch.optim.Adam, torch.optim.Adagrad)) and not decoupled:
        if param_group.get("weight_decay", 0):
            raise ValueError(
                f"weight_decay={param_group['weight_decay']} on the penalised layer passes "
                f"through {type(optimizer).__name__}'s preconditioner and biases the sparse "
                "solution. Put the penalised layer in a parameter group with weight_decay=0, "
                "or use torch.optim.AdamW."
            )
    if param_group.get("maximize", False):
        raise ValueError("The proximal step needs a minimising optimizer; got maximize=True.")


def effective_step(optimizer, param, lr, param_group=None):
    """Step size of the update ``optimizer`` has just applied to ``param``.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        One of SGD (with or without momentum), Adam, AdamW or Adagrad, after its ``step()``.
    param : torch.nn.Parameter
        A parameter the optimizer updates.
    lr : float
        The learning rate of the step just taken (read before any scheduler changed it).
    param_group : dict, default=None
        The optimizer's parameter group holding ``param``; looked up when None.

    Returns
    -------
    float or torch.Tensor or None
        A scalar for SGD, a tensor shaped like ``param`` for the adaptive optimizers (possibly
        ``inf`` where the optimizer's curvature estimate is exactly zero), or None if the
        optimizer has not stepped this parameter yet.

    Notes
    -----
    - SGD: ``lr``; with momentum ``beta`` and dampening ``tau`` the steady-state step of the
      heavy ball is ``lr * (1 - tau) / (1 - beta)``; with Nesterov it is
      ``lr * (1 + beta * (1 - tau) / (1 - beta))``.
    - Adam, AdamW: ``lr / (sqrt(v / (1 - beta2 ** k)) + eps)`` (``max(v)`` with amsgrad).
    - Adagrad: ``lr / (1 + (k - 1) * lr_decay) / (sqrt(sum) + eps)``.
    """
    group = param_group
    if group is None:
        group = next(g for g in optimizer.param_groups if any(p is param for p in g["params"]))
    if isinstance(optimizer, torch.optim.SGD):
        beta = group.get("momentum", 0.0)
        if beta == 0:
            return lr
        dampening = group.get("dampening", 0.0)
        if group.get("nesterov", False):
            return lr * (1.0 + beta * (1.0 - dampening) / (1.0 - beta))
        return lr * (1.0 - dampening) / (1.0 - beta)

    state = optimizer.state.get(param)
    if not state or "step" not in state:
        return None
    k = float(state["step"])
    if isinstance(optimizer, torch.optim.Adam | torch.optim.AdamW):
        beta2 = group["betas"][1]
        v = state["max_exp_avg_sq"] if group.get("amsgrad", False) else state["exp_avg_sq"]
        denom = torch.sqrt(v / (1.0 - beta2**k)) + group["eps"]
    elif isinstance(optimizer, torch.optim.Adagrad):
        lr = lr / (1.0 + (k - 1.0) * group["lr_decay"])
        denom = torch.sqrt(state["sum"]) + group["eps"]
    else:
        check_optimizer(optimizer, group)
    with torch.no_grad():
        return lr / denom
