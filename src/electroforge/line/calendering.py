"""Calendering: load the dried film to H0 (1 - CR) over frames, unload, measure spring-back.

Each loading frame scales every particle's height affinely towards the current collector
before relaxing against the roll (otherwise all compaction piles up under the roll, as
the SPEC warns), then relaxes with the hysteretic contacts of :mod:`electroforge.line.dem`.
Unloading raises the roll in frames; the film follows by the elastic part of its
contacts. Every frame's particle state is kept for voxelization.

Two things the contacts alone do not give:

- A porosity floor. Secondary NMC particles fracture rather than pack denser than a
  porosity of ~0.20 (calendering-deep-learning: ~0.20 at CR 40-50 %), and no roll gap
  makes the film denser: the film is compacted to ``max(H0 (1 - CR), H_floor)`` with
  ``H_floor = H0 (1 - eps0) / (1 - eps_floor)`` (mass balance), and the nominal
  compression beyond that is taken by the press, not by the film.
- The binder's elastic recovery. The DEM's contacts are frictionless and normal-only, so
  a loose film rearranges under the roll without storing elastic energy: its contacts
  alone recover nothing below CR ~25 % and then, as AM particles are forced into each
  other, tens of per cent. Real films spring back a few per cent at every compression
  (Ngandjong et al., J. Power Sources 485, 2021, 229320; the SPEC's anchor) through the
  elasticity of the binder network. After release the film's height therefore rises by
  ``binder_recovery`` times the compression it took (particle heights stretched
  affinely): with 0.08, 3.2 % at CR 28.4 % and 0.9 % at CR 10 % on top of what the
  contacts recover (measured in total: 0.4-1.0 % at CR 5-10 %, 3-5 % at CR 28.4 %, up to
  9 % where a 95 % AM film reaches the floor).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from electroforge.errors import InputError
from electroforge.line.dem import ContactModel, DemState, relax
from electroforge.line.drying import DriedFilm
from electroforge.line.materials import LineParameters

__all__ = ["Calendering", "Frame", "calender", "calendering_steps"]


@dataclass(frozen=True)
class Frame:
    """One quasi-static state of the calendering."""

    index: int
    phase: str                 # "dried", "loading" or "unloading"
    roll_um: float             # roll (top wall) height; inf once it has left the film
    top_um: float              # film top: highest particle surface
    positions_um: np.ndarray
    roll_pressure: float = 0.0  # force on the roll per footprint area (AM modulus units / um)


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
    """Compress ``film`` by ``cr_pct`` % of its dried thickness (or to the porosity floor,
    whichever comes first), then release it."""
    for calendering, _ in calendering_steps(film, cr_pct, params, model):
        pass
    return calendering


def calendering_steps(film: DriedFilm, cr_pct: float, params: LineParameters,
                      model: ContactModel) -> Iterator[tuple[Calendering, DemState]]:
    """:func:`calender` frame by frame: after each frame is recorded (the dried one first),
    the calendering so far and the particle state the next frame starts from. A caller may
    move particles in that state before the next frame is made (the DEM-against-itself
    reruns of :func:`electroforge.line.frames.rerun_series`), or stop."""
    if not 0 <= cr_pct < 100:
        raise InputError("impossible compression", field="cr_pct", value=cr_pct,
                         allowed="0 <= cr_pct < 100 (% thickness reduction)")
    return _steps(film, cr_pct, params, model)


def _steps(film: DriedFilm, cr_pct: float, params: LineParameters,
           model: ContactModel) -> Iterator[tuple[Calendering, DemState]]:
    state = film.state.copy()
    h0 = film.thickness_um
    floor = densest_thickness_um(film, params)
    result = Calendering(state.radii.copy(), state.kinds.copy(), state.footprint)
    _record(result, state, "dried", np.inf)
    yield result, state
    current = h0
    for k in range(1, params.load_frames + 1):
        target = max(h0 * (1.0 - cr_pct / 100.0 * k / params.load_frames), floor)
        state.positions[:, 2] *= target / current
        current = target
        _relax(result, state, target, model, params)
        _record(result, state, "loading", target, model)
        yield result, state
    lowest = current
    for k in range(1, params.unload_frames + 1):
        roll = lowest + (h0 - lowest) * k / params.unload_frames
        _relax(result, state, roll, model, params)
        _record(result, state, "unloading", roll if state.top_um >= roll - 1e-9 else np.inf, model)
        yield result, state
    _relax(result, state, None, model, params)
    _recover_binder(state, params.binder_recovery * (h0 - lowest))
    _record(result, state, "unloading", np.inf)
    yield result, state


def _recover_binder(state: DemState, rise_um: float) -> None:
    """Raise the film's top by ``rise_um``, stretching particle heights affinely: the
    binder network's elastic recovery (see the module doc)."""
    if rise_um <= 0:
        return
    z = state.positions[:, 2]
    top = int(np.argmax(z + state.radii))
    state.positions[:, 2] *= 1.0 + rise_um / z[top]


def densest_thickness_um(film: DriedFilm, params: LineParameters) -> float:
    """The thickness at which the film reaches ``params.porosity_floor``: by mass balance
    ``H0 (1 - eps0) / (1 - eps_floor)`` (at most H0: a film dried denser than the floor is
    not compacted). The roll compacts the film no further."""
    return min(film.thickness_um,
               film.thickness_um * (1.0 - film.porosity) / (1.0 - params.porosity_floor))


def _relax(result: Calendering, state: DemState, roll: float | None, model: ContactModel,
           params: LineParameters) -> None:
    _, converged = relax(state, roll, model, tolerance=params.relax_tolerance,
                         max_steps=params.relax_max_steps)
    result.unconverged_frames += not converged


def _record(result: Calendering, state: DemState, phase: str, roll: float,
            model: ContactModel | None = None) -> None:
    pressure = 0.0
    if model is not None and np.isfinite(roll):
        # the roll is an elastic wall with the AM stiffness (dem._forces)
        reach = np.maximum(state.positions[:, 2] + state.radii - roll, 0.0)
        pressure = float(np.sum(model.am_modulus * state.radii * reach)) / state.footprint**2
    result.frames.append(Frame(len(result.frames), phase, float(roll), state.top_um,
                               state.positions.copy(), pressure))


def meyer_fit(porosity: np.ndarray, pressure: np.ndarray) -> dict[str, float]:
    """Fit Meyer et al.'s compaction law (J. Mater. Process. Technol. 249, 2017, 172),
    ``eps(p) = eps_min + (eps_0 - eps_min) exp(-p / p_c)``, to the loading frames of one
    calendering (porosity against roll pressure). Returns the three constants and R2."""
    from scipy.optimize import curve_fit

    porosity, pressure = np.asarray(porosity, float), np.asarray(pressure, float)

    def law(p, eps_min, eps_0, p_c):
        return eps_min + (eps_0 - eps_min) * np.exp(-p / p_c)

    start = (float(porosity.min()), float(porosity.max()), float(np.median(pressure[pressure > 0])))
    (eps_min, eps_0, p_c), _ = curve_fit(law, pressure, porosity, p0=start, maxfev=20000)
    residual = porosity - law(pressure, eps_min, eps_0, p_c)
    r2 = 1.0 - float(np.sum(residual**2)) / float(np.sum((porosity - porosity.mean()) ** 2))
    return {"eps_min": float(eps_min), "eps_0": float(eps_0), "p_c": float(p_c), "r2": r2}
