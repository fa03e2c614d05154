"""Stride-2 conv stacks for square images: 64 -> 32 -> 16 -> 8 -> 4, 28 -> 14 -> 7.

ReLUs rectify in place: no second activation tensor per layer, which on a CPU saves the allocator's page
faults (served traversals ~15% faster; see README). Autograd is unaffected: no layer here needs its output.
"""

from __future__ import annotations

import itertools

from torch import nn


def halvings(side: int) -> list[int]:
    """Spatial sides after each stride-2 layer: halve while even and > 7 (64: [32,16,8,4])."""
    sides = []
    while side % 2 == 0 and side > 7:
        side //= 2
        sides.append(side)
    return sides


def channel_plan(in_channels: int, n_layers: int, channels: tuple[int, ...]) -> list[int]:
    """[in, c1, ..., cL], cycling through ``channels`` when there are more layers than entries."""
    return [in_channels] + [channels[min(i, len(channels) - 1)] for i in range(n_layers)]


def down_stack(plan: list[int]) -> nn.Sequential:
    """Conv(k4, s2, p1) + ReLU per step: (B, plan[0], S, S) -> (B, plan[-1], S/2^L, S/2^L)."""
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(plan):
        layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def up_stack(plan: list[int]) -> nn.Sequential:
    """Mirror of ``down_stack``: ConvTranspose(k4, s2, p1), ReLU between, none after the last."""
    rev = plan[::-1]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(rev)):
        layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
        if i < len(rev) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
