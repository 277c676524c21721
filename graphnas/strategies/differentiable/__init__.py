"""Differentiable search strategies on a supernet: DARTS, GDAS, StacNAS, ProxylessNAS.

Each is an ask/tell strategy of the ordinary search loop (see `base.DifferentiableSearch`):
every ask trains the supernet a slice further and proposes the architecture derived so far.
"""

from graphnas.strategies.differentiable import (  # noqa: F401  (registration)
    darts,
    gdas,
    proxyless,
    stacnas,
)
