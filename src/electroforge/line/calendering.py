"""Calendering: load the dried film to H0 (1 - CR) over frames, unload, measure spring-back.

Each loading frame scales every particle's height affinely towards the current collector
before relaxing against the roll (otherwise all compaction piles up under the roll, as
the SPEC warns), then relaxes with the hysteretic contacts of :mod:`electroforge.line.dem`.
Unloading raises the roll in frames; the film follows by the elastic part of its
contacts: the spring-back. Every frame's particle state is kept for voxelization.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from electroforge.errors import InputError
from electroforge.line.dem import ContactModel, DemState, relax
from electroforge.line.drying import DriedFilm
from electroforge.line.materials import LineParameters

__all__ = ["Calendering", "Frame", "calender"]


@dataclass(frozen=True)
class Frame:
    """One quasi-static state of the calendering."""

    index: int
    phase: str                 # "dried", "loading" or "unloading"
    roll_um: float             # roll (top wall) height; inf once it has left the film
    top_um: float              # film top: highest particle surface
    positions_um: np.ndarray


@dataclass
class Calendering:
    """All frames, the dried and final thickness, and the spring-back."""

    radii_um: np.ndarray
    kinds: np.ndarray
    footprint_um: float
    frames: list[Frame] = field(default_factory=list)
    unconverged_frames: int = 0

    @property
    def dried_thickness_um(self) -> float:
        return self.frames[0].top_um

    @property
    def min_roll_um(self) -> float:
        return min(frame.roll_um for frame in self.frames)

    @property
    def thickness_um(self) -> float:
        """Final thickness after spring-back."""
        return self.frames[-1].top_um

    @property
    def spring_back_pct(self) -> float:
        """Thickness recovered after unloading, % of the minimum gap."""
        return 100.0 * (self.thickness_um - self.min_roll_um) / self.min_roll_um

    def state(self, index: int = -1) -> DemState:
        frame = self.frames[index]
        return DemState(frame.positions_um, self.radii_um, self.kinds, self.footprint_um)


def calender(film: DriedFilm, cr_pct: float, params: LineParameters,
             model: ContactModel) -> Calendering:
    """Compress ``film`` by ``cr_pct`` % of its dried thickness, then release it."""
    if not 0 <= cr_pct < 100:
        raise InputError("impossible compression", field="cr_pct", value=cr_pct,
                         allowed="0 <= cr_pct < 100 (% thickness reduction)")
    state = film.state.copy()
    h0 = film.thickness_um
    result = Calendering(state.radii.copy(), state.kinds.copy(), state.footprint)
    _record(result, state, "dried", np.inf)
    current = h0
    for k in range(1, params.load_frames + 1):
        target = h0 * (1.0 - cr_pct / 100.0 * k / params.load_frames)
        state.positions[:, 2] *= target / current
        current = target
        _relax(result, state, target, model, params)
        _record(result, state, "loading", target)
    lowest = current
    for k in range(1, params.unload_frames + 1):
        roll = lowest + (h0 - lowest) * k / params.unload_frames
        _relax(result, state, roll, model, params)
        _record(result, state, "unloading", roll if state.top_um >= roll - 1e-9 else np.inf)
    _relax(result, state, None, model, params)
    _record(result, state, "unloading", np.inf)
    return result


def _relax(result: Calendering, state: DemState, roll: float | None, model: ContactModel,
           params: LineParameters) -> None:
    _, converged = relax(state, roll, model, tolerance=params.relax_tolerance,
                         max_steps=params.relax_max_steps)
    result.unconverged_frames += not converged


def _record(result: Calendering, state: DemState, phase: str, roll: float) -> None:
    result.frames.append(Frame(len(result.frames), phase, float(roll), state.top_um,
                               state.positions.copy()))
