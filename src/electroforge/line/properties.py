"""Electrode properties of a voxel image: porosity, density, tortuosity, conductivity, surfaces.

Transport uses taufactor on the CPU, flux along axis 0 (through-plane):

- ``tortuosity_factor``: ionic transport through the pores and, at reduced diffusivity,
  through the electrolyte in the CBD's nanopores: the CBD is a homogeneous porous
  domain whose effective diffusivity is ``f D_bulk`` (discharge-4d-ar-msnet Eq. 7 and
  Table 1: f = 0.05). ``tau = eps_e * D_bulk / D_eff`` with ``eps_e = eps_pore +
  eps_nano * eps_cbd`` the electrolyte volume fraction (``electrolyte_fraction``; the
  CBD's nanoporosity 0.27, Table 1), the McMullin number times that fraction, solved by
  taufactor's ``MultiPhaseSolver`` (contrast 20, where it converges well). This is the
  pair ``(eps_e, tau)`` the discharge hands to PyBaMM, which applies ``D_eff = D eps_e /
  tau``. It stays finite where calendering closes the macro-pores but the CBD still
  carries ions, as in a real electrode.
- ``pore_tortuosity_factor``: the pore phase alone (taufactor's ``Solver``), as the
  reference computed it; ``inf`` where the pores do not connect the two faces.
- effective electronic conductivity through AM and CBD with their bulk conductivities,
  pores insulating (:mod:`electroforge.line.conduction`: taufactor's multiphase solver
  does not converge at the AM/CBD contrast, see there).

Areas come from taufactor's face counting, divided by ``face_count_correction`` (a voxel
surface counts ~1.5x the area of the smooth surface it approximates; the ratio in
``active_surface_pct`` is unaffected).
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
from scipy import ndimage

from electroforge.line.conduction import effective_conductivity
from electroforge.line.voxels import AM, CBD, PORE, VOID

__all__ = ["effective_conductivity_s_m", "film_region", "ionic_tortuosity_factor", "percolates",
           "tortuosity_factor", "voxel_properties"]

_SOLVER_LIMIT = 20000
_CONVERGENCE = 1e-3


def film_region(labels: np.ndarray) -> np.ndarray:
    """The layers below the void above the film (whole layers only)."""
    layers = np.flatnonzero((labels == VOID).all(axis=(1, 2)))
    end = int(layers[0]) if len(layers) else labels.shape[0]
    film = labels[:end]
    return np.where(film == VOID, PORE, film).astype(np.uint8)


def tortuosity_factor(labels: np.ndarray) -> float:
    """Tortuosity factor of the pore phase through axis 0 (``inf`` if it does not percolate)."""
    import taufactor

    pores = (labels == PORE).astype(np.uint8)
    if not percolates(pores):
        return math.inf
    if pores.all():
        return 1.0
    solver = taufactor.Solver(pores, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        tau = float(np.asarray(solver.solve(verbose=False, iter_limit=_SOLVER_LIMIT,
                                            conv_crit=_CONVERGENCE)).ravel()[0])
    d_rel = float(np.asarray(solver.D_rel).ravel()[0])
    return math.inf if d_rel <= 0 or not math.isfinite(tau) or tau <= 0 else tau


def ionic_tortuosity_factor(labels: np.ndarray, *, cbd_nanoporosity: float,
                            cbd_transport_factor: float) -> float:
    """Tortuosity factor of ionic transport through pores and the CBD (axis 0): the CBD
    conducts at ``cbd_transport_factor`` of the bulk electrolyte, and holds electrolyte in
    ``cbd_nanoporosity`` of its volume."""
    import taufactor

    pore, cbd = labels == PORE, labels == CBD
    eps_ion = pore.mean() + cbd_nanoporosity * cbd.mean()
    if eps_ion <= 0 or not percolates(pore | cbd):
        return math.inf
    if pore.all():
        return 1.0
    image = np.where(pore, 1, np.where(cbd, 2, 0)).astype(np.uint8)
    phases = {1: 1.0}
    if cbd.any() and cbd_nanoporosity > 0 and cbd_transport_factor > 0:
        phases[2] = cbd_transport_factor
    else:
        image[image == 2] = 0
    solver = taufactor.MultiPhaseSolver(image, cond=phases, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        solver.solve(verbose=False, iter_limit=_SOLVER_LIMIT, conv_crit=_CONVERGENCE)
    d_eff = float(np.asarray(solver.D_eff).ravel()[0])
    return eps_ion / d_eff if d_eff > 0 and math.isfinite(d_eff) else math.inf


def percolates(phase: np.ndarray) -> bool:
    """Whether ``phase`` (boolean image) connects the first and last layers along axis 0
    through face-sharing voxels (as taufactor's solver sees it: no periodic wrap)."""
    components, _ = ndimage.label(phase)
    return bool(np.intersect1d(components[0][components[0] > 0], components[-1]).size)


def effective_conductivity_s_m(labels: np.ndarray, *, am_s_m: float, cbd_s_m: float) -> float:
    """Effective electronic conductivity through axis 0, S/m (0 if nothing conducts through)."""
    return effective_conductivity(labels, {CBD: cbd_s_m, AM: am_s_m})


def voxel_properties(labels: np.ndarray, *, voxel_um: float, am_density_g_cm3: float,
                     cbd_density_g_cm3: float, am_conductivity_s_m: float,
                     cbd_conductivity_s_m: float, face_count_correction: float,
                     cbd_nanoporosity: float, cbd_transport_factor: float,
                     transport: bool = True) -> dict[str, float]:
    """Properties of one frame's label image (see module doc); ``transport=False`` skips the
    two taufactor solves (geometry only)."""
    from taufactor.metrics import interfacial_areas

    film = film_region(labels)
    counts = np.bincount(film.ravel(), minlength=4)
    electrode = counts[PORE] + counts[CBD] + counts[AM]
    thickness_um = film.shape[0] * voxel_um
    mass_per_voxel = voxel_um**3 * 1e-12  # cm3
    mass_g = (counts[AM] * am_density_g_cm3 + counts[CBD] * cbd_density_g_cm3) * mass_per_voxel
    # The film's top faces the electrolyte: one pore layer above it counts that contact even
    # where a particle touches the top of the image.
    with_void = np.concatenate([np.where(labels == VOID, PORE, labels),
                                np.full((1, *labels.shape[1:]), PORE, dtype=labels.dtype)])
    raw = interfacial_areas(with_void, spacing=(voxel_um,) * 3, periodic=[False, True, True],
                            normalize=False, device="cpu")
    face = voxel_um**2 / face_count_correction  # face counts to smooth-surface um2

    def area(a: int, b: int) -> float:
        return float(raw.get((min(a, b), max(a, b)), 0.0)) * face

    am_pore, am_cbd, pore_cbd = area(PORE, AM), area(CBD, AM), area(PORE, CBD)
    result = {
        "porosity": counts[PORE] / electrode,
        "density_g_cm3": mass_g / (electrode * mass_per_voxel),
        "thickness_um": thickness_um,
        "active_surface_pct": 100.0 * am_pore / (am_pore + am_cbd) if am_pore + am_cbd else 0.0,
        "area_pore_am_um2": am_pore,
        "area_pore_cbd_um2": pore_cbd,
        "area_am_cbd_um2": am_cbd,
        "am_fraction": counts[AM] / electrode,
        "cbd_fraction": counts[CBD] / electrode,
        "electrolyte_fraction": (counts[PORE] + cbd_nanoporosity * counts[CBD]) / electrode,
    }
    if transport:
        result["tortuosity_factor"] = ionic_tortuosity_factor(
            film, cbd_nanoporosity=cbd_nanoporosity, cbd_transport_factor=cbd_transport_factor)
        result["pore_tortuosity_factor"] = tortuosity_factor(film)
        result["conductivity_s_m"] = effective_conductivity_s_m(
            film, am_s_m=am_conductivity_s_m, cbd_s_m=cbd_conductivity_s_m)
    return result
