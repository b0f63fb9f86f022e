"""The virtual line for one slurry: particles -> drying -> calendering -> voxels -> properties.

Making and drying a slurry is shared by every recipe with the same (AM wt%, SC wt%), as
in the reference's slurry-major design; each recipe then calenders its own copy of the
dried film and is discharged at its own C-rate.

The roll is the DEM by default; with a calendering field model
(:mod:`electroforge.surrogates.fields.calendering`) the dried film's label image is
calendered by the network instead, and the same property and discharge code measures the
predicted image. Its properties are those of one image whose film is a whole number of
layers (the DEM's are interpolated between the two images around the film's top), and its
spring-back is read off the predicted film height, to a layer: a direct model predicts it,
a next-frame model (the shipped default) is unloaded to the spring-back law of its
training films (:meth:`~electroforge.surrogates.fields.calendering.CalenderingModel.
calender`).

The discharge is PyBaMM's DFN on the image's properties by default; a condition with
``discharge="halfcell"`` discharges the calendered image itself with the voxel half-cell
(:mod:`electroforge.line.halfcell`) and stores its fields beside the frames.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from electroforge.atomic import atomic_path
from electroforge.line.calendering import Calendering, calender
from electroforge.line.dem import AM, ContactModel
from electroforge.line.discharge import discharge
from electroforge.line.drying import DriedFilm, dry
from electroforge.line.film import film_labels, film_properties, image_properties
from electroforge.line.materials import LineParameters
from electroforge.line.particles import Slurry, make_slurry, sauter_radius_um
from electroforge.line.voxels import voxel_size_um
from electroforge.surrogates.fields.baselines import film_height

__all__ = ["Condition", "check_grid", "conserved_volumes", "dried_film", "label_stack",
           "simulate_slurry", "slurry_seed"]


@dataclass(frozen=True)
class Condition:
    """What happens to one dried film: compression, and the discharge rate (None: no discharge)."""

    cr_pct: float
    c_rate: float | None
    frames_path: Path | None = None
    #: "dfn" (the homogenized PyBaMM DFN on the image's properties) or "halfcell" (the
    #: voxel half-cell on the image itself, :mod:`electroforge.line.halfcell`)
    discharge: str = "dfn"
    #: where the half-cell's linear solves run ("cpu" or "cuda")
    device: str = "cpu"


def contact_model(params: LineParameters) -> ContactModel:
    return ContactModel(am_modulus=params.am_modulus, cbd_modulus=params.cbd_modulus,
                        am_unloading_ratio=params.am_unloading_ratio,
                        cbd_unloading_ratio=params.cbd_unloading_ratio,
                        cbd_adhesion=params.cbd_adhesion)


def slurry_seed(seed: int, am_wt_pct: float, sc_wt_pct: float) -> np.random.Generator:
    """The generator of one slurry: the same (seed, AM, SC) always gives the same particles,
    whatever else is in the design and in whatever order it runs."""
    bits = np.array([am_wt_pct, sc_wt_pct], dtype=np.float64).view(np.uint64)
    return np.random.default_rng(np.random.SeedSequence([seed, *map(int, bits)]))


def dried_film(am_wt_pct: float, sc_wt_pct: float, *, seed: int,
               params: LineParameters) -> tuple[Slurry, DriedFilm, ContactModel]:
    """The slurry of (``seed``, AM, SC), its dried film and the contact model that dried it:
    where every recipe of the slurry starts from."""
    model = contact_model(params)
    slurry = make_slurry(am_wt_pct, sc_wt_pct, params, rng=slurry_seed(seed, am_wt_pct, sc_wt_pct))
    return slurry, dry(slurry, params, model), model


def conserved_volumes(slurry: Slurry) -> dict[str, float]:
    """The AM and CBD volumes that the line's images of ``slurry`` conserve (the keywords of
    :func:`~electroforge.line.film.film_labels`)."""
    return {"am_volume_um3": slurry.composition.am_volume_um3,
            "cbd_volume_um3": slurry.composition.cbd_volume_um3}


MAX_GRID = 512


def check_grid(grid: int, params: LineParameters) -> None:
    """Refuse a grid whose voxels are larger than the smallest particle radius."""
    from electroforge.errors import InputError

    smallest = min(params.am_min_diameter_um, params.cbd_dry_diameter_um) / 2.0
    if isinstance(grid, bool) or not isinstance(grid, int) or not 8 <= grid <= MAX_GRID:
        raise InputError("grid must be an integer from 8 to 512", field="grid", value=grid,
                         allowed=f"8 <= grid <= {MAX_GRID} (voxels across the footprint; "
                         f"{MAX_GRID}^3 voxels already take minutes and GBs a recipe)")
    voxel = voxel_size_um(params.footprint_um, grid)
    if voxel > smallest + 1e-12:
        raise InputError("grid too coarse for the smallest particle", field="grid", value=grid,
                         allowed=f"grid >= {math.ceil(params.footprint_um / smallest)} "
                         f"(voxels of at most {smallest:g} um over a {params.footprint_um:g} um box)")


def simulate_slurry(am_wt_pct: float, sc_wt_pct: float, conditions: Sequence[Condition], *,
                    grid: int, seed: int, params: LineParameters,
                    calendering_model: tuple[str, str] | None = None) -> list[dict]:
    """Properties of every condition applied to one slurry; an exception per failed condition
    is returned in place of its dict (key ``error``), never raised. ``calendering_model``: a
    calendering field model's (path, sha256), which then calenders in place of the DEM."""
    slurry, film, model = dried_film(am_wt_pct, sc_wt_pct, seed=seed, params=params)
    neural = _field_model(*calendering_model) if calendering_model is not None else None
    results = []
    for condition in conditions:
        try:
            if neural is not None:
                results.append(_neural_condition(slurry, film, condition, neural, grid=grid,
                                                 params=params))
                continue
            results.append(_condition(slurry, film, condition, grid=grid, params=params, model=model))
        except Exception as error:  # noqa: BLE001 - reported per recipe, the others go on
            results.append({"error": f"{type(error).__name__}: {error}"})
    return results


@functools.lru_cache(maxsize=2)
def _field_model(path: str, sha256: str):
    """The model at ``path``, which must still be the file of hash ``sha256`` (the results
    are cached under it)."""
    import hashlib

    from electroforge.errors import InputError
    from electroforge.surrogates.fields.calendering import load_calendering_model

    if hashlib.sha256(Path(path).read_bytes()).hexdigest() != sha256:
        raise InputError("the calendering model file changed during the run", source=path,
                         allowed="leave the model file as it is while the line runs")
    return load_calendering_model(path)


def _neural_condition(slurry: Slurry, film: DriedFilm, condition: Condition, neural, *,
                      grid: int, params: LineParameters) -> dict:
    """One recipe with the roll predicted by the field model ``neural`` (see the module
    doc)."""
    from electroforge.surrogates.fields.training import gap_ratio

    voxel = voxel_size_um(params.footprint_um, grid)      # the model's (checked by run)
    dried = film_labels(film.state.positions, film.state.radii, film.state.kinds,
                        top_um=film.thickness_um, grid=grid, params=params,
                        **conserved_volumes(slurry))
    final = neural.calender(dried, condition.cr_pct, porosity_floor=params.porosity_floor)
    props = image_properties(final[:film_height(final)], voxel_um=voxel, params=params)
    # the roll's gap, or the film at the porosity floor where the roll stops (as the DEM)
    gap = gap_ratio(dried, condition.cr_pct / 100.0, params.porosity_floor)
    props |= _film_facts(slurry, film) | {
        # both in whole layers, as the image measures the film
        "spring_back_pct": 100.0 * (film_height(final) / (gap * film_height(dried)) - 1.0),
        "film_cr_pct": 100.0 * (1.0 - gap),
        "unconverged_frames": 0,
    }
    if condition.c_rate is not None:
        props |= _discharged(condition, props, params, final[:film_height(final)], voxel)[0]
    return {key: float(value) for key, value in props.items()}


def _film_facts(slurry: Slurry, film: DriedFilm) -> dict[str, float]:
    """What a recipe reports of its slurry and dried film, whatever calenders it."""
    return {"dried_porosity": film.porosity, "dried_thickness_um": film.thickness_um,
            "n_am_particles": int(np.count_nonzero(slurry.kinds == AM)),
            "n_cbd_particles": int(np.count_nonzero(slurry.kinds != AM))}


def _discharged(condition: Condition, props: dict, params: LineParameters,
                labels: np.ndarray | None = None,
                voxel_um: float | None = None) -> tuple[dict, dict]:
    """The discharge of a measured film at the condition's C-rate: its figures of merit
    and its curve (and, from the voxel half-cell, the share of the AM surface that reacts
    and its fields, to be stored beside the frames)."""
    if condition.discharge == "halfcell":
        from electroforge.line.halfcell import HalfCellParameters, halfcell_discharge

        cell = halfcell_discharge(labels, voxel_um=voxel_um, c_rate=condition.c_rate,
                                  device=condition.device,
                                  params=HalfCellParameters.from_line(params),
                                  cutoff_v=params.discharge_cutoff_v)
        result = cell.discharge
        extra = {"reacting_surface_share": cell.reacting_share}
        stored = {f"halfcell_{name}": values for name, values in cell.fields.items()} | {
            "halfcell_frame_times_s": cell.frame_times_s, "halfcell_labels": cell.labels}
    else:
        result = discharge(
            c_rate=condition.c_rate, thickness_um=props["thickness_um"],
            electrolyte_fraction=props["electrolyte_fraction"],
            am_fraction=props["am_fraction"], tortuosity_factor=props["tortuosity_factor"],
            conductivity_s_m=props["conductivity_s_m"],
            particle_radius_um=sauter_radius_um(params),
            am_density_g_cm3=params.am_density_g_cm3, cutoff_v=params.discharge_cutoff_v)
        extra, stored = {}, {}
    return ({"capacity_mah_g": result.capacity_mah_g, "energy_wh_kg": result.energy_wh_kg,
             "mean_voltage_v": result.mean_voltage_v,
             "practical_capacity_mah_g": result.practical_capacity_mah_g} | extra,
            {"curve_time_s": result.time_s, "curve_voltage_v": result.voltage_v,
             "curve_capacity_mah_g": result.capacity_curve_mah_g} | stored)


def _condition(slurry: Slurry, film: DriedFilm, condition: Condition, *, grid: int,
               params: LineParameters, model: ContactModel) -> dict:
    calendered = calender(film, condition.cr_pct, params, model)
    final = calendered.frames[-1]
    props = film_properties(final.positions_um, calendered.radii_um, calendered.kinds,
                            top_um=final.top_um, grid=grid, params=params,
                            **conserved_volumes(slurry))
    props |= _film_facts(slurry, film) | {
        "spring_back_pct": calendered.spring_back_pct,
        # the compression the film took: below the nominal CR where the floor stopped it
        "film_cr_pct": 100.0 * (1.0 - calendered.min_roll_um / calendered.dried_thickness_um),
        "unconverged_frames": calendered.unconverged_frames,
    }
    curve = None
    if condition.c_rate is not None:
        labels = None
        if condition.discharge == "halfcell":
            labels = film_labels(final.positions_um, calendered.radii_um, calendered.kinds,
                                 top_um=final.top_um, grid=grid, params=params,
                                 **conserved_volumes(slurry))
            labels = labels[:film_height(labels)]
        discharged, curve = _discharged(condition, props, params, labels,
                                        voxel_size_um(params.footprint_um, grid))
        props |= discharged
    if condition.frames_path is not None:
        _save_frames(condition.frames_path, slurry, calendered, grid, params, curve or {})
    return {key: float(value) for key, value in props.items()}


def label_stack(calendered: Calendering, *, grid: int, params: LineParameters,
                am_volume_um3: float, cbd_volume_um3: float) -> np.ndarray:
    """Every frame of ``calendered`` as uint8 labels (frames x z x grid x grid), each cut at
    the layer nearest its top and padded with void (3) to the tallest (the dried one)."""
    frames = [film_labels(frame.positions_um, calendered.radii_um, calendered.kinds,
                          top_um=frame.top_um, grid=grid, params=params,
                          am_volume_um3=am_volume_um3, cbd_volume_um3=cbd_volume_um3)
              for frame in calendered.frames]
    height = max(frame.shape[0] for frame in frames)
    stack = np.full((len(frames), height, grid, grid), 3, dtype=np.uint8)
    for i, frame in enumerate(frames):
        stack[i, :frame.shape[0]] = frame
    return stack


def _save_frames(path: Path, slurry: Slurry, calendered: Calendering, grid: int,
                 params: LineParameters, curve: dict[str, np.ndarray]) -> None:
    """Every frame as uint8 labels padded to the dried height (each cut at the layer nearest
    its top), particle states, the volumes the images conserve and the discharge curve
    (npz; see :mod:`electroforge.line.frames`)."""
    volumes = conserved_volumes(slurry)
    stack = label_stack(calendered, grid=grid, params=params, **volumes)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle, labels=stack,
                positions_um=np.stack([f.positions_um for f in calendered.frames]),
                radii_um=calendered.radii_um, kinds=calendered.kinds,
                roll_um=np.array([f.roll_um for f in calendered.frames]),
                top_um=np.array([f.top_um for f in calendered.frames]),
                phase=np.array([f.phase for f in calendered.frames]),
                voxel_um=voxel_size_um(params.footprint_um, grid), **volumes, **curve)
