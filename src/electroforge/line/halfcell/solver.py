"""Galvanostatic discharge of the voxel half-cell (:mod:`.mesh`), [T1]'s Eqs. 1-9.

Time stepping: implicit Euler for both concentrations, the potentials quasi-static, with
an adaptive step (the step grows while the lithiation of any AM voxel changes by less than
:data:`MAX_LITHIATION_STEP` and the voltage by less than :data:`MAX_VOLTAGE_STEP_V`, and
lands on every frame's time and on the cutoff).

Each step is solved by block Gauss-Seidel-Newton sweeps, accelerated by Anderson mixing
over the last :data:`ANDERSON_DEPTH` sweeps, until nothing changes by more than the
tolerances (1e-6 V and 1e-6 of the concentrations by default); a step whose sweeps do not
converge in :data:`MAX_SWEEPS` is halved and tried again:

1. potentials: the solid and electrolyte potentials and the collector's (the cell
   voltage; the lithium is the ground) form one conductance network in which each
   reaction face is an edge between its AM voxel's solid node and its electrolyte node,
   of conductance ``dI/d eta`` (Butler-Volmer linearized where the iterate is), the
   constant part of the current on the right-hand side with the diffusion potential's
   current (``kappa_D grad ln c``); the galvanostatic current leaves the collector node.
   A weighted graph Laplacian, symmetric positive definite: conjugate gradients
   preconditioned by algebraic multigrid (pyamg, made for such high-contrast Poisson
   networks), the hierarchy built once and reused as a preconditioner until the
   iterations it takes grow (issue 16 allows one linearization per step and reused
   hierarchies; we iterate the linearization to convergence and reuse hierarchies).
   Each sweep solves its linear systems only to :data:`LINEAR_RTOL` of their residual
   (an inexact Newton step: the sweeps converge the rest).
   Each reaction edge carries, in series, the AM voxel's answer within the step: its
   lithium moves with the face's current and the OCP with it (``-U' dt / (F V)``), which
   changes the sweeps' linear model, not their fixed point, and cuts them from ~16 to ~6;
2. lithium in the AM: implicit diffusion with the reaction's flux linearized in the
   voxel's own concentration (the OCP and exchange current move with it), so a large
   step stays stable;
3. the electrolyte: implicit diffusion, migration ``t+ i_l / F`` from the potentials'
   currents, the reaction's and the lithium's sources taken from the potentials' linear
   model, the lithium's current balanced to the reaction's exactly once the potentials
   are the network's solution (not after a damped sweep), so no salt is made or lost
   while the sweeps converge (without it, long steps swung the salt and diverged), and
   what the inexact solve leaves of the salt balance spread over the electrolyte.

Charge, lithium and salt are conserved by construction of the finite volumes (every face
flux leaves one control volume and enters its neighbour): charge and the AM's lithium to
the sweeps' tolerance (the AM's lithium follows the Butler-Volmer current, the electrolyte
the linear model's, which agree at convergence), salt to round-off.
:class:`HalfCellDischarge` reports the residuals (charge: reaction current against the
applied one; lithium in the AM against the charge passed; salt in the electrolyte, whose
sources cancel in a half-cell).

Why our own solver: no public package solves this on voxel images (taufactor's
``ElectrodeSolver`` is an impedance tortuosity metric; echemAMR is C++/CUDA to build).
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from electroforge.errors import InputError
from electroforge.line.halfcell.mesh import AM, CBD, PORE, HalfCellMesh, build_mesh
from electroforge.line.halfcell.parameters import FARADAY, HalfCellParameters, _real

__all__ = ["MAX_C_RATE", "HalfCellDischarge", "halfcell_discharge"]

MAX_C_RATE = 20.0
MAX_LITHIATION_STEP = 0.02
MAX_VOLTAGE_STEP_V = 0.03
MAX_SWEEPS = 60
#: Systems up to this many unknowns are solved directly (sparse LU), larger ones by AMG-CG.
#: (Measured at 2C, one core: an 8 x 18 x 18 image, 4312 potential and 3636 electrolyte
#: unknowns, took 40.1 s with 4000, of which SuperLU's fill-in on the 3-D electrolyte
#: system 140 ms a sweep, and 4.1 s with 1000; layered films of 20 and 80 um, whose
#: systems are nearly 1-D, the same to 0.1 s and their capacities to 1e-4 mAh/g.)
DIRECT_SIZE = 1000
#: Each sweep's AMG-CG solves to this share of its residual (measured, 16 x 16 x 62 line
#: image at 1C, one core: 1e-8 took 50.6 s, 1e-4 37.3 s, 1e-3 34.2 s, 1e-2 27.5 s, the
#: capacity the same to 0.01 % and the sweeps the same, 517-523; 1e-1 took more sweeps)
LINEAR_RTOL = 1e-2
#: Ruge-Stuben's strength threshold (pyamg's default 0.25): the potential network couples
#: conductances over seven decades, and 0.1 keeps more of them in the coarse grids
#: (measured on its matrices: 11 CG iterations to 1e-4 where 0.25 took 15)
STRENGTH_THETA = 0.1
#: The longest time step, s: beyond it the block iterations stop contracting (measured on
#: a layered cell at C/50: 2048 s steps oscillate, 1024 s steps converge in 6-17 sweeps).
MAX_STEP_S = 1000.0
#: Sweeps Anderson mixes (measured, 16 x 16 x 64 line image at 1C: depth 10 took 176 s and
#: 1046 sweeps, depth 5 217 s and 1053 sweeps with 19x the multigrid rebuilds; the same
#: capacity to 0.01 mAh/g)
ANDERSON_DEPTH = 10
#: Stored fields: AM lithiation, electrolyte concentration over its initial one, the solid
#: potential's drop from the collector (phi_s - V: mV-sized, which float16 keeps; phi_s
#: itself, ~4 V, it would round to 2-4 mV), the electrolyte potential against the lithium,
#: the reaction current density per AM voxel's reacting faces (A/m2, anodic > 0)
FIELD_NAMES = ("lithiation", "electrolyte_rel", "phi_s_minus_v", "phi_e_v", "reaction_a_m2")


@dataclass
class HalfCellDischarge:
    """A voxel half-cell discharge: the curve, its figures of merit as the DFN's
    :class:`~electroforge.line.discharge.Discharge` gives them, the fields at frames and
    the solver's account of itself."""

    discharge: object                      # electroforge.line.discharge.Discharge
    frame_times_s: np.ndarray
    #: per name of FIELD_NAMES, (frames, z, y, x) float16 on the film's voxels, 0 off phase
    fields: dict[str, np.ndarray]
    labels: np.ndarray                     # the film the cell was solved on (0, 1, 2)
    voxel_um: float
    #: share of the AM-electrolyte surface that carries at least half the mean reaction
    #: current density, over the discharge (charge-weighted)
    reacting_share: float
    conservation: dict[str, float]
    steps: int
    seconds: float
    #: whether the voltage reached the cutoff (else the run stopped at 1.5 x 1/C hours)
    reached_cutoff: bool
    history: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def capacity_mah_g(self) -> float:
        return self.discharge.capacity_mah_g


class _LinearSolver:
    """Conjugate gradients on the correction ``A d = b - A x`` (to ``rtol`` of its
    residual; the block iterations around it converge the rest), preconditioned by a
    classical (Ruge-Stuben) algebraic-multigrid hierarchy (measured on a potential network
    of 35 000 nodes: 23 iterations to 1e-8 where smoothed aggregation took 80, 5x faster),
    built once and reused while the matrices change, and rebuilt when a solve takes more
    than :attr:`REBUILD_GROWTH` times the iterations of the hierarchy's first, plus two."""

    REBUILD_GROWTH = 1.5

    def __init__(self, rtol: float) -> None:
        self.rtol, self.hierarchy, self.iterations, self.builds = rtol, None, 0, 0
        self.fresh_iterations: int | None = None

    def __call__(self, matrix: sp.csr_matrix, rhs: np.ndarray, x0: np.ndarray) -> np.ndarray:
        residual = rhs - matrix @ x0
        if not np.any(residual):
            return x0
        direct = self._direct(matrix, residual)
        if direct is not None:
            return x0 + direct
        if self.hierarchy is None:
            self.hierarchy = self._build(matrix)
            self.builds += 1
            self.fresh_iterations = None
        correction, count, failed = self._solve(matrix, residual)
        self.iterations += count
        if self.fresh_iterations is None:
            self.fresh_iterations = max(count, 1)
        if failed or count > self.REBUILD_GROWTH * self.fresh_iterations + 2:
            self.hierarchy = None
        return x0 + correction

    def _direct(self, matrix, residual) -> np.ndarray | None:
        """The correction by sparse LU where the system is small (else None)."""
        if matrix.shape[0] > DIRECT_SIZE:
            return None
        from scipy.sparse.linalg import spsolve

        return spsolve(matrix.tocsc(), residual)

    def _build(self, matrix):
        import pyamg

        return pyamg.ruge_stuben_solver(matrix, strength=("classical",
                                                          {"theta": STRENGTH_THETA}))

    def _solve(self, matrix, residual) -> tuple[np.ndarray, int, bool]:
        """The correction, the CG iterations it took and whether CG failed."""
        from scipy.sparse.linalg import cg

        count = [0]

        def counted(_):
            count[0] += 1

        correction, info = cg(matrix, residual, rtol=self.rtol, maxiter=200,
                              M=self.hierarchy.aspreconditioner(), callback=counted)
        return correction, count[0], info > 0


class _Cell:
    """The network's state and its assembled pieces."""

    def __init__(self, mesh: HalfCellMesh, params: HalfCellParameters) -> None:
        self.mesh, self.params = mesh, params
        self.ns, self.ne = mesh.n_solid, mesh.n_electrolyte
        self.cc = self.ns + self.ne
        self.n = self.ns + self.ne + 1
        sa, sb, self.solid_g = mesh.solid_edges
        ea, eb, self.elec_geometry = mesh.electrolyte_edges
        self.r_am, self.r_s, self.r_e, self.r_area = mesh.reaction
        self.cc_nodes, self.cc_g = mesh.collector
        self.li_nodes, self.li_area = mesh.lithium
        self.ea, self.eb = ea, eb
        self.sa, self.sb = sa, sb
        self.ma, self.mb, self.am_geometry = mesh.am_edges
        self.potential_laplacian = _Laplacian(
            np.concatenate([sa, ea + self.ns, self.r_s, self.cc_nodes]),
            np.concatenate([sb, eb + self.ns, self.r_e + self.ns,
                            np.full(self.cc_nodes.size, self.cc)]),
            self.ns + self.li_nodes, self.n)
        self.am_laplacian = _Laplacian(self.ma, self.mb, np.arange(mesh.n_am), mesh.n_am)
        self.electrolyte_laplacian = _Laplacian(ea, eb, np.arange(self.ne), self.ne)
        faces = np.bincount(self.r_am, minlength=mesh.n_am)
        self.face_volume = mesh.am_volume_m3[self.r_am] / faces[self.r_am]

    # -- reaction ---------------------------------------------------------------------
    def reaction(self, phi, c_s, c_e):
        """Per reaction face: current density (anodic > 0), dI/d eta per area, d i/d c_s."""
        p = self.params
        vt = p.thermal_v
        cs = c_s[self.r_am]
        ce = c_e[self.r_e]
        eta = phi[self.r_s] - phi[self.ns + self.r_e] - p.ocp_v(cs)
        i0 = p.exchange_current_a_m2(ce, cs)
        arg = np.clip(eta / (2 * vt), -60, 60)
        current = 2 * i0 * np.sinh(arg)
        conductance = i0 / vt * np.cosh(arg)
        cs_safe = np.clip(cs, 1e-6 * p.c_max_mol_m3, (1 - 1e-6) * p.c_max_mol_m3)
        di0 = i0 * (0.5 / cs_safe - 0.5 / (p.c_max_mol_m3 - cs_safe))
        d_current_dc = 2 * di0 * np.sinh(arg) - conductance * p.ocp_slope_v_m3_mol(cs)
        return current, conductance, d_current_dc

    def lithium(self, phi_e_top, c_e_top):
        """Anodic current density from the lithium into the electrolyte (the SEI and half
        the top separator layer in series) and its derivative with respect to the top
        nodes' electrolyte potential (negative)."""
        p = self.params
        vt = p.thermal_v
        i0 = p.li_exchange_current_a_m2(c_e_top)
        # the SEI and the half separator layer between the top nodes and the lithium
        r = p.sei_resistance_ohm_m2 + self.mesh.lithium_gap_m / (
            p.conductivity_s_m(c_e_top) * p.separator_porosity ** p.separator_bruggeman)
        current = np.zeros_like(phi_e_top)
        for _ in range(50):                     # i = 2 i0 sinh((-phi_e - R i) / 2 vt)
            arg = np.clip((-phi_e_top - r * current) / (2 * vt), -60, 60)
            f = current - 2 * i0 * np.sinh(arg)
            df = 1 + 2 * i0 * np.cosh(arg) * r / (2 * vt)
            step = f / df
            current -= step
            if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(current))):
                break
        arg = np.clip((-phi_e_top - r * current) / (2 * vt), -60, 60)
        kinetic = i0 / vt * np.cosh(arg)        # d i / d eta of the kinetics
        slope = -kinetic / (1 + kinetic * r)
        return current, slope

    # -- potentials -------------------------------------------------------------------
    def electrolyte_edges(self, c_e):
        p = self.params
        c_face = 0.5 * (c_e[self.ea] + c_e[self.eb])
        kappa = p.conductivity_s_m(c_face) * self.elec_geometry
        kappa_d = p.diffusional_conductivity_s_m(c_face) * self.elec_geometry
        return c_face, kappa, kappa_d

    def potential_system(self, phi, c_s, c_e, current_a, dt):
        ns = self.ns
        i_f, g_f, _ = self.reaction(phi, c_s, c_e)
        g = g_f * self.r_area
        # the AM voxel's lithium answers its face's current within the step and moves the
        # OCP against it: a face of conductance g in series with -U' dt / (F V_face)
        # (V_face: the voxel's volume shared among its faces). Only the iteration's
        # linear model changes, not its fixed point: the block iterations converge in a
        # few sweeps instead of tens.
        slope = -self.params.ocp_slope_v_m3_mol(c_s[self.r_am])
        g = g / (1.0 + g * slope * dt / (FARADAY * self.face_volume))
        # edge current solid -> electrolyte = g (phi_s - phi_e) + constant
        constant = self.r_area * i_f - g * (phi[self.r_s] - phi[ns + self.r_e])
        _, kappa, kappa_d = self.electrolyte_edges(c_e)
        log_c = np.log(np.maximum(c_e, 1e-9))
        diffusion = kappa_d * (log_c[self.eb] - log_c[self.ea])   # leaves a towards b
        li_current, li_slope = self.lithium(phi[ns + self.li_nodes], c_e[self.li_nodes])
        # leaving electrolyte node to the lithium: -A i_Li ~ A g_L phi_e + constant
        li_g = -li_slope * self.li_area
        li_constant = -self.li_area * li_current - li_g * phi[ns + self.li_nodes]

        matrix = self.potential_laplacian(
            np.concatenate([self.solid_g, kappa, g, self.cc_g]), li_g)
        electrolyte = (np.bincount(self.r_e, constant, self.ne)
                       - np.bincount(self.ea, diffusion, self.ne)
                       + np.bincount(self.eb, diffusion, self.ne)
                       - np.bincount(self.li_nodes, li_constant, self.ne))
        rhs = np.concatenate([-np.bincount(self.r_s, constant, ns), electrolyte,
                              [-current_a]])
        return matrix, rhs, (g, constant, li_g, li_constant)

    def linear_currents(self, phi, model, *, balance: bool = True):
        """The currents of the potentials' linear model at ``phi``: per reaction face
        (solid to electrolyte, A) and per lithium face (lithium to electrolyte, A). At the
        network's solution they balance to the linear solver's tolerance; with ``balance``
        the lithium's are then balanced to the reaction's exactly, so the concentrations fed
        by them gain and lose exactly what the current carried. Not at a damped step's
        potentials, which are no solution: their whole imbalance would go through the
        lithium (measured: an 80 um layered film at 4C then failed in its first step)."""
        g, constant, li_g, li_constant = model
        ns = self.ns
        reaction = g * (phi[self.r_s] - phi[ns + self.r_e]) + constant
        lithium = -(li_g * phi[ns + self.li_nodes] + li_constant)
        if balance:
            lithium -= (reaction.sum() + lithium.sum()) * self.li_area / self.li_area.sum()
        return reaction, lithium

    # -- concentrations ---------------------------------------------------------------
    def solid_system(self, phi, c_s, c_s_old, c_e, dt):
        """Implicit diffusion of the AM's lithium with the reaction's flux linearized in
        the voxel's own concentration (the OCP and exchange current move with it)."""
        p = self.params
        i_f, _, di_dc = self.reaction(phi, c_s, c_e)
        di_dc = np.maximum(di_dc, 0.0)          # the rest is left to the iterations
        d_face = 0.5 * (p.solid_diffusivity_m2_s(c_s[self.ma])
                        + p.solid_diffusivity_m2_s(c_s[self.mb])) * self.am_geometry
        n = self.mesh.n_am
        diagonal = self.mesh.am_volume_m3 / dt
        diagonal = diagonal + np.bincount(self.r_am, self.r_area * di_dc / FARADAY, n)
        matrix = self.am_laplacian(d_face, diagonal)
        rhs = (self.mesh.am_volume_m3 * c_s_old / dt
               - np.bincount(self.r_am, self.r_area * (i_f - di_dc * c_s[self.r_am])
                             / FARADAY, n))
        return matrix, rhs, (i_f, di_dc)

    def electrolyte_system(self, phi, c_e, c_e_old, reaction_mol_s, li_mol_s, dt):
        p = self.params
        ns = self.ns
        c_face, kappa, kappa_d = self.electrolyte_edges(c_e)
        log_c = np.log(np.maximum(c_e, 1e-9))
        current = (kappa * (phi[ns + self.ea] - phi[ns + self.eb])
                   + kappa_d * (log_c[self.eb] - log_c[self.ea]))       # a -> b, A
        migration = p.transference_number(c_face) * current / FARADAY   # mol/s a -> b
        d_face = p.diffusivity_m2_s(c_face) * self.elec_geometry
        n = self.ne
        diagonal = self.mesh.electrolyte_volume_m3 / dt
        matrix = self.electrolyte_laplacian(d_face, diagonal)
        rhs = self.mesh.electrolyte_volume_m3 * c_e_old / dt
        rhs = rhs - np.bincount(self.ea, migration, n) + np.bincount(self.eb, migration, n)
        rhs = rhs + np.bincount(self.r_e, reaction_mol_s, n)
        rhs = rhs + np.bincount(self.li_nodes, li_mol_s, n)
        return matrix, rhs


class _Laplacian:
    """Weighted graph Laplacians of fixed edges ``(a, b)`` plus a diagonal on ``nodes``,
    ``n x n``: the sparsity pattern is sorted once, and each matrix is its values summed
    into their slots (scipy's COO-to-CSR conversion sorted them again at every sweep)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, nodes: np.ndarray, n: int) -> None:
        rows = np.concatenate([a, b, a, b, nodes]).astype(np.int64)
        cols = np.concatenate([b, a, a, b, nodes]).astype(np.int64)
        keys, self.slot = np.unique(rows * n + cols, return_inverse=True)
        index = np.int32 if max(n, keys.size) < np.iinfo(np.int32).max else np.int64
        self.indices = (keys % n).astype(index)
        self.indptr = np.searchsorted(keys // n, np.arange(n + 1)).astype(index)
        self.n, self.nodes = n, nodes.size

    def __call__(self, weight: np.ndarray, diagonal) -> sp.csr_matrix:
        values = np.concatenate([-weight, -weight, weight, weight,
                                 np.broadcast_to(diagonal, (self.nodes,))])
        data = np.bincount(self.slot, values, self.indices.size)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))


def _jacobi_cg(matrix, rhs, x0, rtol):
    """Conjugate gradients with a Jacobi preconditioner (the AM's lithium: its mass term
    dominates, ``D dt / h^2`` ~ 1)."""
    from scipy.sparse.linalg import LinearOperator, cg

    inverse = 1.0 / matrix.diagonal()
    preconditioner = LinearOperator(matrix.shape, matvec=lambda v: inverse * v)
    return cg(matrix, rhs, x0=x0, rtol=rtol, maxiter=2000, M=preconditioner)[0]


def check_device(device, backend: str | None = None, *, field: str = "device"
                 ) -> tuple[str, str]:
    """``device`` and ``backend`` checked: one line for a device this machine lacks or a
    backend that cannot run on it (``field``: the name the user gave the device)."""
    if not (isinstance(device, str) and (device == "cpu" or device == "cuda"
                                         or (device.startswith("cuda:")
                                             and device[5:].isdigit()))):
        raise InputError("unknown device", field=field, value=device,
                         allowed='"cpu", "cuda" or "cuda:N"')
    if backend is None:
        backend = "pyamg" if device == "cpu" else "torch"
    if backend not in ("pyamg", "torch"):
        raise InputError("unknown backend", field="backend", value=backend,
                         allowed='"pyamg" or "torch"')
    if device != "cpu":
        import torch

        if backend != "torch":
            raise InputError("pyamg runs on the CPU only", field="backend", value=backend,
                             allowed='"torch" on a CUDA device')
        if not torch.cuda.is_available():
            raise InputError("no CUDA device here (torch.cuda.is_available() is False)",
                             field=field, value=device, allowed='"cpu" on this machine')
        index = int(device[5:]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise InputError("no such CUDA device", field=field, value=device,
                             allowed=f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    return device, backend


def halfcell_discharge(labels: np.ndarray, *, voxel_um: float, c_rate: float,
                       params: HalfCellParameters | None = None, cutoff_v: float = 3.0,
                       frames: int = 25, device: str = "cpu", backend: str | None = None,
                       require_cbd: bool = True,
                       solid_diffusion: bool = True,
                       tolerance: float = 1e-6, max_lithiation_step: float = MAX_LITHIATION_STEP,
                       progress: Callable[[float, float], None] | None = None,
                       source: str | None = None) -> HalfCellDischarge:
    """Discharge the electrode of ``labels`` (see :mod:`.mesh`) at ``c_rate`` (1/h,
    relative to the AM's practical capacity, as the DFN) to ``cutoff_v``.

    Fields are stored at ``frames`` times ``k T / frames`` (``T = 1 h / c_rate``; the
    frames after the cutoff are not reached). ``progress(time_s, voltage_v)`` after every
    step. Bad input is refused before the solve (see :func:`.mesh.build_mesh`).

    ``device``: ``"cpu"`` or ``"cuda"`` (``"cuda:N"``), where the linear solves run;
    ``backend``: ``"pyamg"`` (scipy and pyamg, the CPU's default) or ``"torch"`` (CG and
    the multigrid cycle on torch, :mod:`.torch_linear`: the only one on ``"cuda"``; on
    ``"cpu"`` it checks the GPU's path).
    """
    from electroforge.line import nmc111
    from electroforge.line.discharge import Discharge

    params = params or HalfCellParameters()
    device, backend = check_device(device, backend)
    if not (_real(c_rate) and math.isfinite(c_rate) and 0 < c_rate <= MAX_C_RATE):
        raise InputError("C-rate out of range", field="c_rate", value=c_rate,
                         allowed=f"0 < c_rate <= {MAX_C_RATE:g}")
    cutoff_v = nmc111.check_cutoff(float(cutoff_v) if _real(cutoff_v) else cutoff_v)
    if not (isinstance(frames, numbers.Integral) and not isinstance(frames, bool)
            and frames >= 1):
        raise InputError("the number of frames must be a whole number >= 1", field="frames",
                         value=frames, allowed=">= 1")
    for name, value, high in (("tolerance", tolerance, 1e-2),
                              ("max_lithiation_step", max_lithiation_step, 0.2)):
        if not (_real(value) and 0 < value <= high):
            raise InputError("out of range", field=name, value=value,
                             allowed=f"0 < {name} <= {high:g}")
    if not (_real(voxel_um) and math.isfinite(voxel_um) and voxel_um > 0):
        raise InputError("the voxel size must be > 0", source=source, field="voxel_um",
                         value=voxel_um, allowed="> 0 um")
    c_rate, frames, voxel_um = float(c_rate), int(frames), float(voxel_um)
    mesh = build_mesh(labels, voxel_um, params, require_cbd=require_cbd,
                      solid_diffusion=solid_diffusion, source=source)
    cell = _Cell(mesh, params)
    started = time.perf_counter()

    am_mass_g = (float(mesh.am_volume_m3.sum()) + mesh.dead_am_volume_m3) \
        * params.am_density_g_cm3 * 1e6                     # every AM voxel of the film
    practical = params.practical_capacity_mah_g(cutoff_v)
    current_a = c_rate * practical * am_mass_g / 1000.0          # A (mAh/g x g / 1000 h)
    c_s = np.full(mesh.n_am, params.initial_lithiation * params.c_max_mol_m3)
    c_e = np.full(mesh.n_electrolyte, params.initial_electrolyte_mol_m3)
    phi = np.zeros(cell.n)
    phi[:cell.ns] = float(params.ocp_v(c_s[0]))
    phi[cell.cc] = phi[0]
    if backend == "torch":
        from electroforge.line.halfcell.torch_linear import TorchLinearSolver, torch_jacobi_cg

        potential_solver, electrolyte_solver = (
            TorchLinearSolver(LINEAR_RTOL, device) for _ in range(2))

        def lithium_solve(matrix, rhs, x0):
            return torch_jacobi_cg(matrix, rhs, x0, 1e-10, device)
    else:
        potential_solver = _LinearSolver(rtol=LINEAR_RTOL)
        electrolyte_solver = _LinearSolver(rtol=LINEAR_RTOL)

        def lithium_solve(matrix, rhs, x0):
            return _jacobi_cg(matrix, rhs, x0, 1e-10)

    period_s = 3600.0 / c_rate
    frame_times = period_s * np.arange(1, frames + 1) / frames
    stored: dict[str, list[np.ndarray]] = {name: [] for name in FIELD_NAMES}
    times, voltages = [0.0], []
    charge_weighted_share, charge_total = 0.0, 0.0
    li_am_start = float(mesh.am_volume_m3 @ c_s)
    salt_start = float(mesh.electrolyte_volume_m3 @ c_e)
    charge_error = 0.0
    t, dt, steps = 0.0, min(1.0, period_s / 1000), 0
    next_frame = 0
    sweeps: list[int] = []

    previous = None                              # (phi, c_s, c_e, dt) a step back

    def sweep_once(phi_k, cs_k, ce_k, dt):
        """One block Gauss-Seidel sweep: potentials, lithium in the AM, electrolyte; both
        concentrations fed by the currents of the potentials' linear model."""
        matrix, rhs, model = cell.potential_system(phi_k, cs_k, ce_k, current_a, dt)
        phi_new = potential_solver(matrix, rhs, phi_k)
        change = phi_new - phi_k
        largest = np.max(np.abs(change))
        damped = largest > 0.05
        if damped:                              # damp a far Newton step
            phi_new = phi_k + change * (0.05 / largest)
        reaction_a, lithium_a = cell.linear_currents(phi_new, model, balance=not damped)
        matrix, rhs, (i_f, di_dc) = cell.solid_system(phi_new, cs_k, c_s, ce_k, dt)
        cs_new = np.clip(lithium_solve(matrix, rhs, cs_k), 0.0, params.c_max_mol_m3)
        i_used = i_f + di_dc * (cs_new[cell.r_am] - cs_k[cell.r_am])
        matrix, rhs = cell.electrolyte_system(phi_new, ce_k, c_e, reaction_a / FARADAY,
                                              lithium_a / FARADAY, dt)
        ce_new = electrolyte_solver(matrix, rhs, ce_k)
        # the salt gains what the sources bring (nothing, where the lithium's balance the
        # reaction's), and what the inexact solve left of that balance is spread over it
        volume = mesh.electrolyte_volume_m3
        gained = dt * (reaction_a.sum() + lithium_a.sum()) / FARADAY
        ce_new = ce_new + (volume @ c_e + gained - volume @ ce_new) / volume.sum()
        return phi_new, cs_new, ce_new, i_used

    def solve_step(dt):
        # the first guess: the last step's trend carried over this one
        phi_k, cs_k, ce_k = phi.copy(), c_s.copy(), c_e.copy()
        if previous is not None:
            ratio = dt / previous[3]
            phi_k += ratio * (phi - previous[0])
            cs_k = np.clip(cs_k + ratio * (c_s - previous[1]), 0.0, params.c_max_mol_m3)
            ce_k = np.maximum(ce_k + ratio * (c_e - previous[2]), 0.5 * ce_k)
        scale = np.concatenate([np.full(cell.n, params.thermal_v),
                                np.full(mesh.n_am, 1e-3 * params.c_max_mol_m3),
                                np.full(mesh.n_electrolyte,
                                        1e-3 * params.initial_electrolyte_mol_m3)])
        cuts = np.cumsum([cell.n, mesh.n_am])

        def unpacked(x):
            phi_x, cs_x, ce_x = np.split(x * scale, cuts)
            return (phi_x, np.clip(cs_x, 0.0, params.c_max_mol_m3),
                    np.clip(ce_x, 1e-3 * params.initial_electrolyte_mol_m3,
                            10 * params.initial_electrolyte_mol_m3))

        x = np.concatenate([phi_k, cs_k, ce_k]) / scale
        moves, changes, last = [], [], None
        for sweep in range(MAX_SWEEPS):
            phi_k, cs_k, ce_k = unpacked(x)
            phi_new, cs_new, ce_new, i_used = sweep_once(phi_k, cs_k, ce_k, dt)
            g = np.concatenate([phi_new, cs_new, ce_new]) / scale
            if not np.all(np.isfinite(g)):
                return None                      # the step is cut and tried again
            f = g - x
            if (np.max(np.abs(phi_new - phi_k)) < tolerance
                    and np.max(np.abs(cs_new - cs_k)) < tolerance * params.c_max_mol_m3
                    and np.max(np.abs(ce_new - ce_k))
                    < tolerance * params.initial_electrolyte_mol_m3):
                sweeps.append(sweep + 1)
                return phi_new, cs_new, ce_new, i_used
            # Anderson acceleration of the sweeps' fixed point (depth ANDERSON_DEPTH)
            if last is not None:
                moves.append(x - last[0])
                changes.append(f - last[1])
                del moves[:-ANDERSON_DEPTH], changes[:-ANDERSON_DEPTH]
            last = (x, f)
            mixed = g
            if changes:
                df = np.stack(changes, axis=1)
                try:
                    gamma = np.linalg.lstsq(df, f, rcond=None)[0]
                    mixed = g - (np.stack(moves, axis=1) + df) @ gamma     # x + f - ...
                except np.linalg.LinAlgError:
                    mixed = g
            x = mixed if np.all(np.isfinite(mixed)) else g
        return None

    while True:
        step = dt
        landing = next_frame < frames and frame_times[next_frame] - t < 1.5 * dt
        if landing:
            step = frame_times[next_frame] - t   # land on the frame's time
        result = solve_step(step)
        if result is None or np.any(result[2] <= 0):
            dt = step / 2
            if dt < 1e-6 * period_s:
                raise RuntimeError("the voxel half-cell did not converge "
                                   f"(t = {t:.1f} s, step {dt:.2e} s)")
            continue
        phi_new, cs_new, ce_new, i_used = result
        voltage = float(phi_new[cell.cc])
        if voltages and voltage < cutoff_v and step > 1e-3 * period_s and \
                voltages[-1] - voltage > 0.2 * MAX_VOLTAGE_STEP_V:
            dt = step / 2                        # approach the cutoff in small steps
            continue
        if not voltages:
            voltages.append(voltage)             # the curve starts at the loaded voltage
        lithiation_change = np.max(np.abs(cs_new - c_s)) / params.c_max_mol_m3
        voltage_change = abs(voltage - voltages[-1])
        previous = (phi, c_s, c_e, step)
        phi, c_s, c_e = phi_new, cs_new, ce_new
        t += step
        steps += 1
        times.append(t)
        voltages.append(voltage)
        charge_error = max(charge_error, abs(float(cell.r_area @ i_used) + current_a) / current_a)
        area = cell.r_area
        mean = float(area @ np.abs(i_used)) / float(area.sum())
        charge_weighted_share += step * float(area[np.abs(i_used) >= 0.5 * mean].sum()
                                              / area.sum())
        charge_total += step
        if progress is not None:
            progress(t, voltage)
        if landing:
            _store(stored, cell, phi, c_s, c_e, i_used)
            next_frame += 1
        if voltage <= cutoff_v or t >= 1.5 * period_s:
            break
        growth = min(2.0, 0.8 * max_lithiation_step / max(lithiation_change, 1e-12),
                     0.8 * MAX_VOLTAGE_STEP_V / max(voltage_change, 1e-12))
        # a landing step was cut short: the step it was cut from is still the one to take
        dt = min(max(min(dt, step * growth) if landing else step * growth,
                     1e-6 * period_s), MAX_STEP_S)

    reached_cutoff = voltages[-1] <= cutoff_v
    if not reached_cutoff:
        from electroforge.errors import ElectroforgeWarning

        warnings.warn(f"the voxel half-cell stopped at {t:.0f} s (1.5 x 1/C) at "
                      f"{voltages[-1]:.3f} V, above the {cutoff_v:g} V cutoff: its capacity "
                      "is a lower bound", ElectroforgeWarning, stacklevel=2)
    time_s = np.array(times)
    voltage_v = np.array(voltages)
    if voltage_v[-1] < cutoff_v and len(voltage_v) > 1:        # end on the cutoff
        v0, v1 = voltage_v[-2], voltage_v[-1]
        fraction = (v0 - cutoff_v) / (v0 - v1) if v0 > v1 else 1.0
        time_s[-1] = time_s[-2] + fraction * (time_s[-1] - time_s[-2])
        voltage_v[-1] = cutoff_v
    charge_mah = current_a * time_s / 3.6
    capacity = charge_mah / am_mass_g
    energy_wh = float(np.trapezoid(voltage_v, charge_mah / 1000))
    discharge = Discharge(c_rate=float(c_rate), capacity_mah_g=float(capacity[-1]),
                          energy_wh_kg=energy_wh / am_mass_g * 1000,
                          mean_voltage_v=energy_wh / (charge_mah[-1] / 1000),
                          practical_capacity_mah_g=practical, time_s=time_s,
                          voltage_v=voltage_v, capacity_curve_mah_g=capacity)
    passed_mol = current_a * t / FARADAY
    conservation = {
        "charge": charge_error,
        "lithium": abs(float(mesh.am_volume_m3 @ c_s) - li_am_start - passed_mol) / passed_mol,
        "salt": abs(float(mesh.electrolyte_volume_m3 @ c_e) - salt_start) / salt_start,
    }
    film = mesh.phases[:mesh.film_layers]
    return HalfCellDischarge(
        discharge=discharge, frame_times_s=frame_times[:next_frame],
        fields={name: np.stack(v) if v else np.zeros((0, *film.shape), np.float16)
                for name, v in stored.items()},
        labels=film.copy(), voxel_um=float(voxel_um),
        reacting_share=charge_weighted_share / max(charge_total, 1e-30),
        conservation=conservation, steps=steps, seconds=time.perf_counter() - started,
        reached_cutoff=bool(reached_cutoff),
        history={"sweeps": np.array(sweeps),
                 "cg_iterations": np.array([potential_solver.iterations,
                                            electrolyte_solver.iterations]),
                 "amg_builds": np.array([potential_solver.builds, electrolyte_solver.builds])})


def _store(stored, cell: _Cell, phi, c_s, c_e, i_used) -> None:
    mesh, p = cell.mesh, cell.params
    layers = mesh.film_layers
    shape = (layers, *mesh.phases.shape[1:])

    def scatter(index, values):
        out = np.zeros(shape, dtype=np.float32)
        where = index[:layers] >= 0
        out[where] = values[index[:layers][where]]
        return out.astype(np.float16)

    stored["lithiation"].append(scatter(mesh.am_index, c_s / p.c_max_mol_m3))
    stored["electrolyte_rel"].append(scatter(mesh.electrolyte_index,
                                             c_e / p.initial_electrolyte_mol_m3))
    stored["phi_s_minus_v"].append(scatter(mesh.solid_index, phi[:cell.ns] - phi[cell.cc]))
    stored["phi_e_v"].append(scatter(mesh.electrolyte_index, phi[cell.ns:cell.cc]))
    per_am = np.bincount(cell.r_am, cell.r_area * i_used, mesh.n_am) / np.maximum(
        np.bincount(cell.r_am, cell.r_area, mesh.n_am), 1e-30)
    stored["reaction_a_m2"].append(scatter(mesh.am_index, per_am))
