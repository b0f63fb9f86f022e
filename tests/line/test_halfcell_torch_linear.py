"""The half-cell's torch path (electroforge.line.halfcell.torch_linear), checked on the
CPU's torch (and on CUDA where a GPU is present): its multigrid-preconditioned CG solves
the half-cell's kind of system, and a discharge through it matches the pyamg path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from electroforge.errors import InputError
from electroforge.line.halfcell import halfcell_discharge
from electroforge.line.halfcell.torch_linear import (TorchLinearSolver, _on, _pcg,
                                                     torch_jacobi_cg)
from helpers import small_electrode



def high_contrast_laplacian(n: int = 16, seed: int = 0) -> sp.csr_matrix:
    """A weighted graph Laplacian of an n^3 grid with conductances over six decades (the
    potential network's kind), grounded at one face: symmetric positive definite."""
    rng = np.random.default_rng(seed)
    index = np.arange(n**3).reshape(n, n, n)
    rows, cols = [], []
    for axis in range(3):
        a = np.take(index, range(n - 1), axis=axis).ravel()
        b = np.take(index, range(1, n), axis=axis).ravel()
        rows.append(a)
        cols.append(b)
    a, b = np.concatenate(rows), np.concatenate(cols)
    weight = 10.0 ** rng.uniform(-6, 0, a.size)
    off = sp.coo_matrix((-weight, (a, b)), shape=(n**3, n**3))
    off = off + off.T
    diagonal = -np.asarray(off.sum(axis=1)).ravel()
    diagonal[index[0].ravel()] += 1.0                  # the grounded face
    return (off + sp.diags(diagonal)).tocsr()


def test_multigrid_cg_on_torch_solves_a_high_contrast_network():
    matrix = high_contrast_laplacian()
    rng = np.random.default_rng(1)
    exact = rng.standard_normal(matrix.shape[0])
    rhs = matrix @ exact
    solver = TorchLinearSolver(1e-10, "cpu")
    x = solver(matrix, rhs, np.zeros_like(rhs))
    assert np.linalg.norm(matrix @ x - rhs) <= 1e-10 * np.linalg.norm(rhs) * 1.0001
    assert np.allclose(x, exact, rtol=0, atol=1e-4 * np.abs(exact).max())
    # the V-cycle earns its keep: 28 iterations where pyamg's Gauss-Seidel cycle takes 26
    # and Jacobi alone 584
    assert solver.builds == 1 and solver.iterations < 40
    inverse = torch.as_tensor(1.0 / matrix.diagonal())
    _, jacobi_iterations = _pcg(_on(matrix, "cpu"), torch.as_tensor(rhs),
                                torch.zeros(matrix.shape[0], dtype=torch.float64),
                                lambda r: inverse * r, 1e-10, 5000)
    assert jacobi_iterations > 10 * solver.iterations
    jacobi = torch_jacobi_cg(matrix, rhs, np.zeros_like(rhs), 1e-10, "cpu")
    assert np.linalg.norm(matrix @ jacobi - rhs) <= 1e-10 * np.linalg.norm(rhs) * 1.0001


def test_the_hierarchy_is_reused_while_the_matrix_drifts_and_rebuilt_when_it_fails():
    matrix = high_contrast_laplacian(12)
    rhs = np.ones(matrix.shape[0])
    solver = TorchLinearSolver(1e-8, "cpu")
    x = solver(matrix, rhs, np.zeros_like(rhs))
    drifted = (matrix * 1.01).tocsr()                  # a step later: nearly the same
    y = solver(drifted, rhs, x)
    assert solver.builds == 1
    assert np.linalg.norm(drifted @ y - rhs) <= 1e-8 * np.linalg.norm(rhs - drifted @ x) * 1.01
    # a different network entirely: the stale cycle fails (as on the CPU path, the sweeps
    # around the solve absorb one poor correction), is dropped, and the next is rebuilt
    other = high_contrast_laplacian(12, seed=5)
    solver(other, rhs, np.zeros_like(rhs))
    assert solver.hierarchy is None
    z = solver(other, rhs, np.zeros_like(rhs))
    assert solver.builds == 2
    assert np.linalg.norm(other @ z - rhs) <= 1e-8 * np.linalg.norm(rhs) * 1.0001


def tiled_electrode() -> np.ndarray:
    """The small test electrode tiled 3 x 3 in plane (8 x 18 x 18): 4312 potential and
    3636 electrolyte unknowns, so the CPU path solves both by AMG-CG, not by LU."""
    image = small_electrode()
    return np.concatenate([np.tile(image[:7], (1, 3, 3)), np.tile(image[7:], (1, 3, 3))])


def test_a_discharge_on_torch_matches_the_pyamg_path():
    common = dict(voxel_um=0.5, c_rate=2.0, frames=3, tolerance=1e-8)
    cpu = halfcell_discharge(tiled_electrode(), **common)
    on_torch = halfcell_discharge(tiled_electrode(), backend="torch", **common)
    assert cpu.history["amg_builds"].min() >= 1         # both systems by AMG-CG there
    assert on_torch.capacity_mah_g == pytest.approx(cpu.capacity_mah_g, rel=1e-5)
    half = 0.5 * cpu.capacity_mah_g                    # the curves, halfway through

    def voltage(run):
        return np.interp(half, run.discharge.capacity_curve_mah_g, run.discharge.voltage_v)

    assert voltage(on_torch) == pytest.approx(voltage(cpu), abs=1e-4)
    assert on_torch.conservation["lithium"] < 1e-6
    assert on_torch.conservation["salt"] < 1e-10
    assert on_torch.history["amg_builds"].min() >= 1    # and by the torch cycle here


def test_a_device_or_backend_this_machine_cannot_run_is_refused_in_one_line():
    labels = small_electrode()
    with pytest.raises(InputError, match="unknown device"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, device="gpu")
    with pytest.raises(InputError, match="unknown backend"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, backend="petsc")
    with pytest.raises(InputError, match="pyamg runs on the CPU only"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, device="cuda", backend="pyamg")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA device here"):
            halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, device="cuda")
    else:
        with pytest.raises(InputError, match="no such CUDA device"):
            halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0,
                               device=f"cuda:{torch.cuda.device_count()}")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_a_discharge_on_the_gpu_matches_the_cpu():
    common = dict(voxel_um=0.5, c_rate=2.0, frames=3, tolerance=1e-8)
    cpu = halfcell_discharge(small_electrode(), **common)
    gpu = halfcell_discharge(small_electrode(), device="cuda", **common)
    assert gpu.capacity_mah_g == pytest.approx(cpu.capacity_mah_g, rel=1e-5)
