"""Run the virtual line over many recipes: in parallel on Dask, cached, resumable.

Recipes sharing a slurry (AM wt%, SC wt%) go out together (in chunks of :data:`CHUNK`),
so the slurry is made and dried once per chunk. Each finished recipe is written to the cache at once (one JSON file, atomically),
keyed by (recipe, grid, seed, line version, line parameters): an interrupted run resumes
without recomputing what finished, and a failed recipe is reported in the ``error``
column without losing the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from electroforge.atomic import atomic_write_text
from electroforge.datasets import validate_dataset
from electroforge.errors import InputError
from electroforge.line.chain import Condition, check_grid, simulate_slurry
from electroforge.line.materials import LineParameters, default_grid
from electroforge.seeds import check_seed
from electroforge.space import Space, default_space

__all__ = ["LINE_VERSION", "default_cache_dir", "frames_files", "local_cluster", "run"]

#: Bump when the line's physics changes: cached results of other versions are not reused.
LINE_VERSION = "4"
#: Raised when the physics of one line version is corrected after it was first committed
#: (2: version 4's D_s floor at x 0.86 and top contact over the surface), so that the
#: cache does not return results of the uncorrected physics.
CACHE_REVISION = 2
RECIPE = ("am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate")
#: Recipes of one slurry per task.
CHUNK = 8


def default_cache_dir() -> Path:
    """``$ELECTROFORGE_CACHE`` or ``~/.cache/electroforge``, with a ``line`` sub-folder."""
    root = os.environ.get("ELECTROFORGE_CACHE") or Path.home() / ".cache" / "electroforge"
    return Path(root) / "line"


def run(recipes: pd.DataFrame, *, grid: int | None = None, seed: int | Sequence[int] = 0,
        client=None,
        workers: int | None = None, params: LineParameters | None = None,
        space: Space | None = None, cache_dir: str | os.PathLike[str] | None = None,
        frames_dir: str | os.PathLike[str] | None = None, progress: bool = True,
        calendering: str = "dem",
        calendering_model: str | os.PathLike[str] | None = None,
        discharge: str = "dfn", device: str = "cpu") -> pd.DataFrame:
    """Properties of every recipe, one row per recipe, recipe columns kept.

    Args:
        recipes: Columns ``am_wt_pct``, ``sc_wt_pct``, ``cr_pct`` and optionally ``c_rate``
            (without it no discharge is simulated).
        grid: Voxels across the footprint (the image is ``n_z x grid x grid``); default
            0.5 um voxels (:func:`~electroforge.line.materials.default_grid`).
        seed: Seed of the particles; the same (recipe, seed, grid) gives the same result.
            One integer for every recipe, or one per recipe (independent replicates of
            one recipe, or each evaluation of a campaign with particles of its own).
        client: A ``dask.distributed.Client`` (e.g. of a cluster); by default a
            ``LocalCluster`` of ``workers`` processes.
        workers: Worker processes for the default cluster (default: CPU count);
            ``0`` runs in this process, one recipe after another.
        params: Line constants (default :class:`LineParameters`).
        space: Recipes must lie in it (default: :func:`electroforge.default_space`).
        cache_dir: Where finished recipes are kept (default :func:`default_cache_dir`).
        frames_dir: Also write every calendering frame of every recipe there (npz).
        progress: Show a progress bar on stderr.
        calendering: ``"dem"`` (the particles through the roll, default) or ``"neural"``
            (the dried film's voxel image calendered by a field model: the shipped
            next-frame one, or ``calendering_model``; see :mod:`electroforge.line.chain`).
            Results are cached
            apart, keyed by the model file's content.
        calendering_model: A calendering model's file (``electroforge surrogate train
            calendering``) for ``calendering="neural"``.
        discharge: ``"dfn"`` (PyBaMM's homogenized DFN on the image's properties, default)
            or ``"halfcell"`` (the pore-resolved voxel half-cell on the image itself,
            :mod:`electroforge.line.halfcell`: minutes to hours a recipe on a CPU at the
            default box; it adds ``reacting_surface_share`` and stores its fields in the
            frames files). Results are cached apart.
        device: Where the half-cell's linear solves run: ``"cpu"`` (pyamg) or ``"cuda"``
            (torch, :mod:`electroforge.line.halfcell.torch_linear`), for
            ``discharge="halfcell"`` only; not part of the cache key (both solve to the
            same tolerance).

    Returns:
        The recipes with the property columns (``porosity``, ``density_g_cm3``,
        ``tortuosity_factor``, ``conductivity_s_m``, ``active_surface_pct``,
        ``capacity_mah_g``, ...) and ``error`` (empty where the recipe succeeded).
    """
    params = params or LineParameters()
    grid = default_grid(params) if grid is None else grid
    check_grid(grid, params)
    if discharge not in DISCHARGES:
        raise InputError("unknown discharge", field="discharge", value=repr(discharge),
                         allowed=", ".join(DISCHARGES))
    if discharge != "halfcell" and device != "cpu":
        raise InputError("the device runs the voxel half-cell's solves", field="device",
                         value=device, allowed='"cpu", or discharge="halfcell"')
    if discharge == "halfcell":                 # the cell's constants, refused up front
        from electroforge.line.halfcell import HalfCellParameters
        from electroforge.line.halfcell.solver import check_device

        check_device(device)

        if not params.face_count_correction > 0:
            raise InputError("must be > 0", field="face_count_correction",
                             value=params.face_count_correction, allowed="> 0")
        HalfCellParameters.from_line(params)
    model = _calendering(calendering, calendering_model, frames_dir, grid, params)
    model_sha = model[1] if model is not None else None
    table = _validated(recipes, space)
    if discharge != "dfn" and "c_rate" not in table:
        raise InputError("a discharge needs a C-rate", field="c_rate",
                         value="no c_rate column",
                         allowed=f"recipes with a c_rate column for discharge={discharge!r}")
    seeds = _seeds(seed, len(table))
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    frames = Path(frames_dir) if frames_dir is not None else None
    keys = _keys(table, grid, seeds, params, model_sha, discharge)
    results: dict[int, dict] = {}
    for index, key in enumerate(keys):
        cached = cache / f"{key}.json"
        if cached.is_file() and (frames is None or _frames_path(frames, key).is_file()):
            results[index] = json.loads(cached.read_text())
    todo = [i for i in range(len(table)) if i not in results]
    groups: dict[tuple[float, float, int], list[int]] = {}
    for i in todo:
        slurry = (table.at[i, "am_wt_pct"], table.at[i, "sc_wt_pct"], seeds[i])
        groups.setdefault(slurry, []).append(i)
    tasks = []
    for (am, sc, particle_seed), rows in groups.items():
        # A slurry's recipes go out in chunks: the slurry is remade and dried per chunk (~1 s,
        # a few per cent of a chunk), and in return the progress bar moves and the workers
        # share the work evenly even when a design has fewer slurries than workers.
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            conditions = [Condition(float(table.at[i, "cr_pct"]),
                                    float(table.at[i, "c_rate"]) if "c_rate" in table else None,
                                    _frames_path(frames, keys[i]) if frames else None,
                                    discharge, device)
                          for i in chunk]
            tasks.append(((float(am), float(sc), particle_seed, conditions), chunk))

    def record(rows: list[int], outcome: list[dict]) -> None:
        for i, props in zip(rows, outcome):
            results[i] = props
            if "error" not in props:
                atomic_write_text(cache / f"{keys[i]}.json", json.dumps(props, sort_keys=True))

    if tasks:
        if frames:
            frames.mkdir(parents=True, exist_ok=True)
        _execute(tasks, record, grid=grid, params=params, model=model, client=client,
                 workers=workers, progress=progress, total=len(todo))
    out = table.copy()
    properties = sorted({key for props in results.values() for key in props if key != "error"})
    for name in properties:
        out[name] = [results[i].get(name, np.nan) for i in range(len(table))]
    out["error"] = [results[i].get("error", "") for i in range(len(table))]
    return out


def _seeds(seed: int | Sequence[int], n: int) -> list[int]:
    if isinstance(seed, (str, bytes)) or not isinstance(seed, Sequence | np.ndarray | pd.Series):
        return [check_seed(seed)] * n
    seeds = [check_seed(s, field=f"seed[{i}]") for i, s in enumerate(seed)]
    if len(seeds) != n:
        raise InputError("one seed per recipe, or one for all", field="seed",
                         value=f"{len(seeds)} seeds for {n} recipes",
                         allowed=f"an integer or {n} integers")
    return seeds


def _validated(recipes: pd.DataFrame, space: Space | None) -> pd.DataFrame:
    if not isinstance(recipes, pd.DataFrame):
        raise InputError("recipes must be a table", field="recipes", value=type(recipes).__name__,
                         allowed="a pandas DataFrame with am_wt_pct, sc_wt_pct, cr_pct[, c_rate]")
    space = space or default_space()
    for name in RECIPE[:3]:
        if name not in space:
            raise InputError("the line needs this recipe parameter in the space", field=name,
                             allowed="a space with am_wt_pct, sc_wt_pct, cr_pct (and c_rate)")
    if "c_rate" not in recipes.columns and "c_rate" in space:
        space = Space(tuple(p for p in space if p.name != "c_rate"))  # no discharge then
    return validate_dataset(recipes, space=space, allow_duplicates=True).frame


#: Raised when the neural roll's inference changes (input, wrap, phase assignment,
#: spring-back), so that cached neural results of the old one are not reused.
NEURAL_REVISION = 1
DISCHARGES = ("dfn", "halfcell")
#: Revision of the voxel half-cell's results (in the cache keys of its recipes only): 2,
#: sealed electrolyte pockets and AM cut off from the collector left the network.
HALFCELL_REVISION = 2


def _calendering(calendering: str, model: str | os.PathLike[str] | None, frames_dir,
                 grid: int, params: LineParameters) -> tuple[str, str] | None:
    """The calendering model's path and content hash (None for the DEM), refused before
    any work if it cannot run on this grid."""
    if calendering not in ("dem", "neural"):
        raise InputError("unknown calendering", field="calendering", value=repr(calendering),
                         allowed="dem (the particles through the roll) or neural (a field "
                         "model)")
    if calendering == "dem":
        if model is not None:
            raise InputError("a calendering model is for calendering='neural'",
                             field="calendering_model", value=str(model),
                             allowed="calendering='neural', or no model")
        return None
    if frames_dir is not None:
        raise InputError("frames are written by the DEM's roll", field="frames_dir",
                         value=str(frames_dir), allowed="calendering='dem' for frames")
    from electroforge.surrogates.fields.calendering import load_calendering_model

    import math

    from electroforge.line.voxels import voxel_size_um

    path = Path(model) if model is not None else None
    loaded = load_calendering_model(path)      # refused here, before any work, if not one
    voxel = voxel_size_um(params.footprint_um, grid)
    if not math.isclose(voxel, loaded.voxel_um, rel_tol=1e-6):
        raise InputError("the calendering model was trained at another voxel size",
                         source=loaded.source, field="grid", value=grid,
                         allowed=f"grid = {round(params.footprint_um / loaded.voxel_um)} "
                         f"({loaded.voxel_um:g} um voxels over the {params.footprint_um:g} um "
                         "box, as the model)")
    source = Path(loaded.source)
    return str(source.resolve()), hashlib.sha256(source.read_bytes()).hexdigest()


def _key(row: dict, grid: int, seed: int, params: LineParameters,
         model_sha: str | None = None, discharge: str = "dfn") -> str:
    recipe = {name: float(row[name]).hex() for name in RECIPE if name in row}
    content = {"recipe": recipe, "grid": grid, "seed": seed, "version": LINE_VERSION,
               "revision": CACHE_REVISION, "params": params.to_dict()}
    if model_sha is not None:                  # the DEM's keys stay as they were
        content["calendering_model_sha256"] = model_sha
        content["neural_revision"] = NEURAL_REVISION
    if discharge != "dfn":                     # the DFN's keys stay as they were
        content["discharge"] = discharge
        content["halfcell_revision"] = HALFCELL_REVISION
    text = json.dumps(content, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def frames_files(recipes: pd.DataFrame, frames_dir: str | os.PathLike[str], *,
                 grid: int | None = None, seed: int | Sequence[int] = 0,
                 params: LineParameters | None = None,
                 space: Space | None = None, discharge: str = "dfn") -> list[Path]:
    """Where :func:`run` with the same arguments writes each recipe's frames file."""
    params = params or LineParameters()
    grid = default_grid(params) if grid is None else grid
    table = _validated(recipes, space)
    return [_frames_path(Path(frames_dir), key)
            for key in _keys(table, grid, _seeds(seed, len(table)), params,
                             discharge=discharge)]


def _keys(table: pd.DataFrame, grid: int, seeds: list[int], params: LineParameters,
          model_sha: str | None = None, discharge: str = "dfn") -> list[str]:
    """The cache key of every recipe row (its results and its frames file are named by it)."""
    return [_key(row, grid, s, params, model_sha, discharge)
            for row, s in zip(table.to_dict("records"), seeds)]


def _frames_path(frames: Path, key: str) -> Path:
    return frames / f"{key}.npz"


def _execute(tasks, record: Callable, *, grid, params, model, client, workers, progress,
             total):
    bar = _progress(total, progress)
    try:
        if client is None and workers == 0:
            for (am, sc, seed, conditions), rows in tasks:
                record(rows, _task(am, sc, conditions, grid, seed, params, model))
                bar.update(len(rows))
            return
        from dask.distributed import Client, as_completed

        own = None
        if client is None:
            own = local_cluster(workers or os.cpu_count() or 1)
            client = Client(own)
        try:
            futures = {client.submit(_task, am, sc, conditions, grid, seed, params, model,
                                     pure=False):
                       rows for (am, sc, seed, conditions), rows in tasks}
            for future in as_completed(futures):
                rows = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:  # noqa: BLE001 - a lost worker fails its slurry only
                    outcome = [{"error": f"{type(error).__name__}: {error}"}] * len(rows)
                record(rows, outcome)
                bar.update(len(rows))
        finally:
            if own is not None:
                client.close()
                own.close()
    finally:
        bar.close()


def local_cluster(n_workers: int):
    """A Dask ``LocalCluster`` of single-threaded worker processes fit for the line.

    Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in their workers by default, which
    makes glibc return memory to the system at every free: the solvers' many temporary
    arrays then run 3-4x slower (measured: the voxel-property stage took 4.0 s in a worker
    against 1.1 s in a plain process). We keep Dask's one-thread BLAS/OpenMP settings and
    drop that one. On a cluster of your own, set ``distributed.nanny.pre-spawn-environ``
    likewise.
    """
    import dask
    from dask.distributed import LocalCluster

    check_spawnable()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    environ = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1,
               "PYBAMM_DISABLE_TELEMETRY": "true"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.ERROR)


_GUARD_FIX = ("put the call under `if __name__ == \"__main__\":` in a script file, or pass "
              "workers=0 (one process)")


def check_spawnable() -> None:
    """Refuse, in one line, to start worker processes that would fail to start.

    Dask's worker processes are spawned: each re-imports the caller's main script (as
    multiprocessing does), so a script that calls the line at its top level, without an
    ``if __name__ == "__main__":`` guard, would run again in every worker and fail with a
    page of nanny tracebacks; code piped on stdin cannot be re-imported at all. The CLI,
    ``python -m``, ``-c`` and interactive sessions are fine.
    """
    import inspect

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if main is None or hasattr(sys, "ps1"):
        return
    if spec is not None:
        if spec.name == "__main__" or spec.name.endswith(".__main__"):
            return      # multiprocessing does not re-run a package's __main__
        path = spec.origin
    else:
        path = getattr(main, "__file__", None)
        if path is None:
            return      # python -c: nothing is re-imported
    if path is None or not os.path.isfile(path):
        raise InputError("the virtual line's worker processes cannot start from code "
                         "without a file (piped on stdin?)", field="workers",
                         value=repr(path), allowed=_GUARD_FIX)
    frame = inspect.currentframe()
    while frame is not None and not (frame.f_globals is vars(main)
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is not None and not under_main_guard(path, frame.f_lineno):
        raise InputError("the script starts the virtual line's worker processes at its top "
                         "level: each worker would run it again",
                         source=f"{path}:{frame.f_lineno}", allowed=_GUARD_FIX)


def under_main_guard(path: str, line: int) -> bool:
    """Whether line ``line`` of the script ``path`` lies in an ``if __name__ ==
    "__main__":`` block (read with :mod:`ast`; nothing is run)."""
    import ast

    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True     # cannot tell: let the workers try
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test):
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or line):
                return True
    return False


def _is_main_test(test) -> bool:
    import ast

    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _task(am, sc, conditions, grid, seed, params, model=None):
    """One slurry on a worker, single-threaded so results do not depend on the machine."""
    import torch

    torch.set_num_threads(1)
    try:
        return simulate_slurry(am, sc, conditions, grid=grid, seed=seed, params=params,
                               calendering_model=model)
    except Exception as error:  # noqa: BLE001 - the slurry itself failed: report every recipe
        return [{"error": f"{type(error).__name__}: {error}"}] * len(conditions)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="virtual line", unit="recipe", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True)
