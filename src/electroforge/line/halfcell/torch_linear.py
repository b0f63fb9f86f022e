"""The voxel half-cell's linear solves on torch, for ``device="cuda"`` (and on the CPU's
torch, ``backend="torch"``, which is how the tests check this path without a GPU).

Conjugate gradients on the device, preconditioned by algebraic multigrid: the hierarchy
(Ruge-Stuben coarsening, its interpolations and Galerkin coarse matrices) is built by
pyamg on the CPU, as in the CPU path, once and reused while the matrices change; its
V-cycle runs on the device. Pyamg's smoother, symmetric Gauss-Seidel, is sequential, so
the V-cycle smooths by weighted Jacobi instead, each level's weight ``(4/3) / rho(D^-1 A)``
as pyamg weights its own Jacobi (the spectral radius estimated by pyamg at the build: on
the finest level, a weighted graph Laplacian plus a positive diagonal, it is at most 2, but
the Galerkin coarse levels exceed 2), the same sweeps before and after, so that the
preconditioner stays symmetric positive definite, as CG needs; the coarsest level (pyamg
stops at 10 unknowns) by a dense Cholesky factor (its pseudo-inverse where it is
singular). This is the split AmgX and hypre's GPU solvers make too: the setup is irregular
work, the cycle matrix products that a GPU does well.

Systems of up to ``solver.DIRECT_SIZE`` unknowns, which the CPU path solves by sparse LU,
go through the cycle here too (torch has no sparse direct solver on every device): the
two paths agree to the sweeps' tolerance, not to round-off.

The AM's lithium (mass-dominated) is solved by Jacobi-preconditioned CG, as on the CPU.
Only the linear algebra runs on the device; the assembly stays in numpy, so each solve
moves one matrix and three vectors over (a few ms for 10^6 unknowns on PCIe).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from electroforge.line.halfcell.solver import _LinearSolver

__all__ = ["JACOBI_WEIGHT", "SMOOTHING_SWEEPS", "TorchLinearSolver", "torch_jacobi_cg"]

#: The weighted-Jacobi smoother's weight times each level's spectral radius of D^-1 A
#: (pyamg's choice for its Jacobi smoother)
JACOBI_WEIGHT = 4.0 / 3.0
#: Jacobi sweeps before and after each coarse correction
SMOOTHING_SWEEPS = 2


def _on(matrix: sp.spmatrix, device):
    """A scipy sparse matrix as a torch CSR tensor (float64) on ``device``."""
    import warnings

    import torch

    csr = sp.csr_matrix(matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch: sparse CSR support "in beta"
        return torch.sparse_csr_tensor(
            torch.from_numpy(csr.indptr.astype(np.int64)),
            torch.from_numpy(csr.indices.astype(np.int64)),
            torch.from_numpy(csr.data.astype(np.float64)), size=csr.shape, device=device,
            check_invariants=False)


class _VCycle:
    """Pyamg's hierarchy on the device: ``A`` and the smoother's ``omega / diag(A)`` per
    level, the interpolations ``P`` and restrictions ``R = P^T``, the coarsest level's
    Cholesky factor (or pseudo-inverse)."""

    def __init__(self, hierarchy, device) -> None:
        import torch
        from pyamg.util.linalg import approximate_spectral_radius

        self.levels = []
        for level in hierarchy.levels[:-1]:
            inverse_diagonal = 1.0 / level.A.diagonal()
            radius = approximate_spectral_radius(sp.diags(inverse_diagonal) @ level.A)
            self.levels.append((_on(level.A, device),
                                torch.as_tensor(JACOBI_WEIGHT / radius * inverse_diagonal,
                                                device=device),
                                _on(level.P, device), _on(level.R, device)))
        coarse = torch.as_tensor(hierarchy.levels[-1].A.toarray(), device=device)
        factor, info = torch.linalg.cholesky_ex(coarse)
        self.factor = factor if int(info) == 0 else None
        self.pseudo_inverse = torch.linalg.pinv(coarse) if self.factor is None else None

    def _coarse_solve(self, r):
        import torch

        if self.factor is not None:
            return torch.cholesky_solve(r[:, None], self.factor)[:, 0]
        return self.pseudo_inverse @ r

    def __call__(self, r, depth: int = 0):
        """One V-cycle from a zero guess: an approximation of ``A^-1 r``."""
        if depth == len(self.levels):
            return self._coarse_solve(r)
        A, weight, P, R = self.levels[depth]
        x = weight * r
        for _ in range(SMOOTHING_SWEEPS - 1):
            x = x + weight * (r - A @ x)
        x = x + P @ self(R @ (r - A @ x), depth + 1)
        for _ in range(SMOOTHING_SWEEPS):
            x = x + weight * (r - A @ x)
        return x


def _pcg(A, b, x, preconditioner, rtol: float, maxiter: int):
    """Preconditioned conjugate gradients from ``x`` until ``|r| <= rtol |b|``: the
    solution and the iterations taken (``maxiter + 1`` where it did not converge)."""
    import torch

    r = b - A @ x
    target = rtol * float(torch.linalg.vector_norm(b))
    if float(torch.linalg.vector_norm(r)) <= target:
        return x, 0
    z = preconditioner(r)
    p = z.clone()
    rz = torch.dot(r, z)
    for iteration in range(1, maxiter + 1):
        q = A @ p
        alpha = rz / torch.dot(p, q)
        x = x + alpha * p
        r = r - alpha * q
        if float(torch.linalg.vector_norm(r)) <= target:
            return x, iteration
        z = preconditioner(r)
        rz_new = torch.dot(r, z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, maxiter + 1


class TorchLinearSolver(_LinearSolver):
    """The CPU path's :class:`~electroforge.line.halfcell.solver._LinearSolver` (CG on the
    correction, the hierarchy reused and rebuilt by its rule) with the AMG V-cycle of the
    module doc on a torch device, and no direct solve."""

    MAX_ITERATIONS = 200

    def __init__(self, rtol: float, device) -> None:
        super().__init__(rtol)
        self.device = device

    def _direct(self, matrix, residual) -> None:
        return None

    def _build(self, matrix) -> _VCycle:
        return _VCycle(super()._build(matrix), self.device)

    def _solve(self, matrix, residual) -> tuple[np.ndarray, int, bool]:
        import torch

        b = torch.as_tensor(residual, device=self.device)
        correction, count = _pcg(_on(matrix, self.device), b, torch.zeros_like(b),
                                 self.hierarchy, self.rtol, self.MAX_ITERATIONS)
        return correction.cpu().numpy(), count, count > self.MAX_ITERATIONS


def torch_jacobi_cg(matrix: sp.csr_matrix, rhs: np.ndarray, x0: np.ndarray, rtol: float,
                    device) -> np.ndarray:
    """Jacobi-preconditioned CG on ``device`` (the AM's lithium; its mass term dominates)."""
    import torch

    inverse = torch.as_tensor(1.0 / matrix.diagonal(), device=device)
    x, _ = _pcg(_on(matrix, device), torch.as_tensor(rhs, device=device),
                torch.as_tensor(x0, device=device), lambda r: inverse * r, rtol, 2000)
    return x.cpu().numpy()
