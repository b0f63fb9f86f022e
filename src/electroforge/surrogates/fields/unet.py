"""Our 3D U-Net with FiLM conditioning: voxel phases in, phase logits out.

One network serves every compression: the conditions (e.g. the calendering compression
as a fraction, the frame's phase in the roll cycle and its strain) enter every block by
FiLM (Perez et al., AAAI 2018): ``h -> h * (1 + gamma(c)) + beta(c)`` after each
normalization, ``gamma`` and ``beta`` linear in the conditions. The input is the one-hot
phases of the last ``in_frames`` frames (the reference's autoregressive task) or of the
dried structure alone (the direct map to the final frame); the output is one logit per
phase and voxel.

Layout: ``depth`` levels, each two 3x3x3 convolutions (GroupNorm, FiLM, SiLU), a stride-2
convolution down, a trilinear upsampling back with the skip connection concatenated. The
input is padded to a multiple of ``2**depth`` in every direction (replicating the edge:
the film's top is void, its bottom the current collector) and the output cropped back.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FiLMUNet3d"]


class _Block(nn.Module):
    """Two convolutions, each normalized, FiLM-conditioned and activated."""

    def __init__(self, channels_in: int, channels: int, n_conditions: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv3d(channels_in, channels, 3, padding=1),
                                    nn.Conv3d(channels, channels, 3, padding=1)])
        groups = math.gcd(8, channels)       # divides the channels, whatever the width
        self.norms = nn.ModuleList([nn.GroupNorm(groups, channels) for _ in range(2)])
        self.film = nn.Linear(n_conditions, 4 * channels)
        nn.init.zeros_(self.film.weight)       # starts as the plain U-Net
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, conditions: torch.Tensor) -> torch.Tensor:
        film = self.film(conditions)[:, :, None, None, None]
        for k, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            gamma, beta = film.chunk(4, dim=1)[2 * k:2 * k + 2]
            x = F.silu(norm(conv(x)) * (1 + gamma) + beta)
        return x


class FiLMUNet3d(nn.Module):
    """3D U-Net with FiLM conditioning (see the module doc).

    Args:
        n_phases: Phases of a voxel (the line's 4: pore, CBD, AM, void).
        in_frames: Frames given as input, each one-hot.
        n_conditions: Scalars that condition every block.
        width: Channels of the first level (doubled at each level down).
        depth: Levels below the first.

    Example:
        >>> net = FiLMUNet3d(n_conditions=2, width=4, depth=1)
        >>> x = torch.zeros(1, 4, 6, 8, 8)
        >>> net(x, torch.zeros(1, 2)).shape
        torch.Size([1, 4, 6, 8, 8])
    """

    def __init__(self, *, n_phases: int = 4, in_frames: int = 1, n_conditions: int = 3,
                 width: int = 16, depth: int = 2) -> None:
        super().__init__()
        self.config = {"n_phases": n_phases, "in_frames": in_frames,
                       "n_conditions": n_conditions, "width": width, "depth": depth}
        channels = [width * 2 ** level for level in range(depth + 1)]
        self.down_blocks = nn.ModuleList()
        self.downs = nn.ModuleList()
        previous = n_phases * in_frames
        for level, c in enumerate(channels):
            self.down_blocks.append(_Block(previous, c, n_conditions))
            if level < depth:
                self.downs.append(nn.Conv3d(c, c, 2, stride=2))
            previous = c
        self.up_blocks = nn.ModuleList(
            _Block(channels[level + 1] + channels[level], channels[level], n_conditions)
            for level in reversed(range(depth)))
        self.head = nn.Conv3d(channels[0], n_phases, 1)
        self.depth = depth

    def forward(self, x: torch.Tensor, conditions: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, phases, z, y, x)`` of one-hot input ``(batch, phases *
        in_frames, z, y, x)`` under ``conditions`` ``(batch, n_conditions)``."""
        size = x.shape[2:]
        step = 2 ** self.depth
        pad = [p for s in reversed(size) for p in (0, (-s) % step)]
        h = F.pad(x, pad, mode="replicate") if any(pad) else x
        skips = []
        for level, block in enumerate(self.down_blocks):
            h = block(h, conditions)
            if level < self.depth:
                skips.append(h)
                h = self.downs[level](h)
        for block in self.up_blocks:
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[2:], mode="trilinear", align_corners=False)
            h = block(torch.cat([h, skip], dim=1), conditions)
        logits = self.head(h)
        return logits[:, :, :size[0], :size[1], :size[2]]
