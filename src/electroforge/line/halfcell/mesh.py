"""The finite-volume network of a half-cell on a voxel image.

The image (axis 0 through-plane, the current collector below layer 0; pore 0, CBD 1,
AM 2, void 3) is cut at its film's top (void inside the film is pore: electrolyte fills
it); the separator's :attr:`~HalfCellParameters.separator_layers` homogenized layers lie
on top, the lithium counter electrode above them. Axes 1 and 2 are periodic, as the
line's box is.

Every voxel is a control volume. Its fields live on the phases it holds:

- solid potential on AM and CBD voxels (Ohm's law, Eqs. 3 and 5 of [T1]);
- electrolyte concentration and potential on pore, CBD and separator voxels (the CBD and
  the separator as porous media: their electrolyte holds ``porosity`` of the volume and
  carries ``f`` (CBD, Eq. 7) or ``porosity^1.5`` (separator) of the bulk's transport);
- lithium concentration on AM voxels (Fick, Eq. 4).

Neighbours exchange through their shared face with the series (harmonic) conductance of
their two half-cells; an AM face against a voxel that holds electrolyte (pore, CBD or
separator) is a reaction face (Butler-Volmer, Eq. 8), of the face's area times
:attr:`~HalfCellParameters.reaction_area_factor`: as in [T1], the CBD (and the separator)
are homogeneous porous media whose electrolyte meets the AM over the whole interface.
The solids of layer 0 touch the current collector through half a voxel; the separator's
top layer touches the lithium through half its thickness (in series with the lithium's
kinetics and SEI).

Nodes that no net current can reach are left out: a solid node must be joined to the
collector through solids (AM and CBD), an electrolyte node to the lithium through
electrolyte (pores, CBD, separator). Others would make the network singular or only
exchange within themselves (a pocket of electrolyte sealed in AM and CBD, an AM particle
cut off from the collector). So a CBD particle adrift in a pore (touching no AM and not
the collector) keeps its electrolyte, which carries ions, and loses its solid, whose
potential nothing fixes; AM cut off from the collector holds mass but no capacity
(:attr:`HalfCellMesh.dead_am_volume_m3`), as in a real electrode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from electroforge.errors import InputError
from electroforge.line.halfcell.parameters import HalfCellParameters, _real

__all__ = ["PORE", "CBD", "AM", "VOID", "SEPARATOR", "HalfCellMesh", "build_mesh"]

PORE, CBD, AM, VOID, SEPARATOR = 0, 1, 2, 3, 4


@dataclass
class HalfCellMesh:
    """Indices and geometric conductances of the network (SI units)."""

    phases: np.ndarray               # (nz, ny, nx) with SEPARATOR layers on top
    dz_m: np.ndarray                 # (nz,) layer thicknesses
    voxel_m: float
    solid_index: np.ndarray          # (nz, ny, nx) node index or -1
    electrolyte_index: np.ndarray
    am_index: np.ndarray
    # solid network: conductances S
    solid_edges: tuple[np.ndarray, np.ndarray, np.ndarray]
    # electrolyte network: geometric factor (weight x area / distance), m
    electrolyte_edges: tuple[np.ndarray, np.ndarray, np.ndarray]
    # AM diffusion: area / distance, m
    am_edges: tuple[np.ndarray, np.ndarray, np.ndarray]
    # reaction faces: AM node, its solid node, the electrolyte node, area m2
    reaction: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    collector: tuple[np.ndarray, np.ndarray]     # solid node, conductance S
    lithium: tuple[np.ndarray, np.ndarray]       # electrolyte node, area m2
    lithium_gap_m: float                         # the top layer's centre to the lithium
    am_volume_m3: np.ndarray                     # per AM node
    electrolyte_volume_m3: np.ndarray            # porosity x volume per electrolyte node
    #: AM of the film outside the network (no electrons reach it): it holds mass and no
    #: capacity
    dead_am_volume_m3: float = 0.0

    @property
    def n_solid(self) -> int:
        return int(self.solid_index.max()) + 1

    @property
    def n_electrolyte(self) -> int:
        return int(self.electrolyte_index.max()) + 1

    @property
    def n_am(self) -> int:
        return int(self.am_index.max()) + 1

    @property
    def film_layers(self) -> int:
        return int((self.phases[:, 0, 0] != SEPARATOR).sum())


def _pairs(shape: tuple[int, int, int]):
    """Flat index pairs of face neighbours along each axis (0 bounded, 1-2 periodic)."""
    index = np.arange(np.prod(shape)).reshape(shape)
    yield 0, index[:-1].ravel(), index[1:].ravel()
    for axis in (1, 2):
        yield axis, index.ravel(), np.roll(index, -1, axis=axis).ravel()


def _series(area, half_a, value_a, half_b, value_b):
    """Conductance of two half-cells in series: area / (d_a / v_a + d_b / v_b)."""
    return area / (half_a / value_a + half_b / value_b)


def build_mesh(labels: np.ndarray, voxel_um: float, params: HalfCellParameters, *,
               require_cbd: bool = True, solid_diffusion: bool = True,
               source: str | None = None) -> HalfCellMesh:
    """The network of ``labels`` (see the module doc); refuses, before any solve, an image
    the cell cannot discharge: unknown labels, no AM, no CBD (unless ``require_cbd`` is
    False, as for a layered check), AM touching no electrolyte, a film not on the current
    collector, no AM reached by both the collector's electrons and the separator's ions.
    ``solid_diffusion=False`` makes every AM voxel a particle of its own, uniform inside
    (PyBaMM's uniform-profile particle: the layered check's matched physics)."""
    labels = np.asarray(labels)
    if labels.ndim != 3 or labels.dtype.kind not in "ui" or labels.size == 0:
        raise InputError("not a 3D label image", source=source, field="labels",
                         value=f"{labels.dtype} {labels.shape}",
                         allowed="3D integer labels: 0 pore, 1 CBD, 2 AM, 3 void")
    unknown = sorted(set(np.unique(labels).tolist()) - {PORE, CBD, AM, VOID})
    if unknown:
        raise InputError("unknown labels", source=source, field="labels", value=unknown,
                         allowed="0 pore, 1 CBD, 2 AM, 3 void above the film")
    if not (_real(voxel_um) and np.isfinite(voxel_um) and voxel_um > 0):
        raise InputError("the voxel size must be > 0", source=source, field="voxel_um",
                         value=voxel_um, allowed="> 0 um")
    solid_layers = np.flatnonzero(((labels == AM) | (labels == CBD)).any(axis=(1, 2)))
    if not (labels == AM).any():
        raise InputError("the image has no AM: nothing to discharge", source=source,
                         field="labels", value="no voxel labelled 2",
                         allowed="an electrode image with AM (2)")
    if require_cbd and not (labels == CBD).any():
        raise InputError("the image has no CBD: the half-cell needs the carbon-binder "
                         "domain that carries its electrons", source=source, field="labels",
                         value="no voxel labelled 1", allowed="an electrode image with CBD (1)")
    film = labels[:solid_layers[-1] + 1].astype(np.uint8)
    film = np.where(film == VOID, PORE, film)
    h = voxel_um * 1e-6
    n_sep = params.separator_layers
    ny, nx = film.shape[1:]
    phases = np.concatenate([film, np.full((n_sep, ny, nx), SEPARATOR, np.uint8)])
    dz = np.concatenate([np.full(len(film), h),
                         np.full(n_sep, params.separator_thickness_um * 1e-6 / n_sep)])
    shape = phases.shape
    flat = phases.ravel()
    layer = np.repeat(np.arange(shape[0]), ny * nx)
    volume = h * h * dz[layer]

    sigma = np.zeros(flat.size)
    sigma[flat == AM] = params.am_conductivity_s_m
    sigma[flat == CBD] = params.cbd_conductivity_s_m
    weight = np.zeros(flat.size)          # electrolyte transport, fraction of bulk
    weight[flat == PORE] = 1.0
    weight[flat == CBD] = params.cbd_transport_factor
    weight[flat == SEPARATOR] = params.separator_porosity ** params.separator_bruggeman
    porosity = np.zeros(flat.size)
    porosity[flat == PORE] = 1.0
    porosity[flat == CBD] = params.cbd_porosity
    porosity[flat == SEPARATOR] = params.separator_porosity

    solid_edges, elec_edges, am_edges, reaction = [], [], [], []
    for axis, a, b in _pairs(shape):
        if axis == 0:
            area = np.full(a.size, h * h)
            half_a, half_b = dz[layer[a]] / 2, dz[layer[b]] / 2
        else:
            area = h * dz[layer[a]]
            half_a = half_b = np.full(a.size, h / 2)
        both = (sigma[a] > 0) & (sigma[b] > 0)
        solid_edges.append((a[both], b[both], _series(area[both], half_a[both], sigma[a][both],
                                                      half_b[both], sigma[b][both])))
        both = (weight[a] > 0) & (weight[b] > 0)
        elec_edges.append((a[both], b[both], _series(area[both], half_a[both],
                                                     weight[a][both], half_b[both],
                                                     weight[b][both])))
        both = (flat[a] == AM) & (flat[b] == AM) & solid_diffusion
        am_edges.append((a[both], b[both], area[both] / (half_a[both] + half_b[both])))
        for am_side, other in ((a, b), (b, a)):
            face = (flat[am_side] == AM) & (weight[other] > 0)
            reaction.append((am_side[face], other[face],
                             area[face] * params.reaction_area_factor))

    def joined(parts):
        return tuple(np.concatenate(column) for column in zip(*parts))

    s_a, s_b, s_g = joined(solid_edges)
    e_a, e_b, e_g = joined(elec_edges)
    m_a, m_b, m_g = joined(am_edges)
    r_am, r_el, r_area = joined(reaction)
    if not r_am.size:
        raise InputError("the AM touches no electrolyte: no reaction surface", source=source,
                         field="labels", value="no AM face against pore or CBD",
                         allowed="an image whose AM borders pores or CBD")
    bottom = np.flatnonzero((layer == 0) & (sigma > 0))
    collector_g = h * h * sigma[bottom] / (dz[0] / 2)
    top = np.flatnonzero(layer == shape[0] - 1)

    # what the current reaches: the solids joined to the collector (node n) through solids,
    # the electrolyte joined to the lithium (node n) through electrolyte. A pocket of
    # electrolyte sealed in AM and CBD, or a solid cut off from the collector, carries no
    # net current: left in, it only exchanges within itself, and a sealed pocket of a
    # fraction of a voxel swung its salt by tens of times its concentration while the
    # sweeps converged (48 x 48 line image, steps of 30 s and more)
    n = flat.size
    solid_live = _joined_to(s_a, s_b, bottom, n) & (sigma > 0)
    elec_live = _joined_to(e_a, e_b, top, n) & (weight > 0)
    reacting = solid_live[r_am] & elec_live[r_el]
    if not bottom.size or not reacting.any():
        raise InputError("no path for the current: no AM is reached both by the current "
                         "collector's electrons (through AM and CBD) and by the separator's "
                         "ions (through pores and CBD)", source=source, field="labels",
                         value=f"{int((flat == AM).sum())} AM voxels, "
                         f"{int(bottom.size)} solid voxels on the collector",
                         allowed="a film on the collector whose pores reach the separator")

    def numbered(mask):
        index = np.full(n, -1, dtype=np.int64)
        index[mask] = np.arange(int(mask.sum()))
        return index

    solid_index = numbered(solid_live)
    elec_index = numbered(elec_live)
    am_index = numbered(solid_live & (flat == AM))

    def kept(a, b, g, index):
        keep = (index[a] >= 0) & (index[b] >= 0)
        return index[a[keep]], index[b[keep]], g[keep]

    keep = (am_index[r_am] >= 0) & (elec_index[r_el] >= 0)
    reaction_out = (am_index[r_am[keep]], solid_index[r_am[keep]], elec_index[r_el[keep]],
                    r_area[keep])
    keep_bottom = solid_index[bottom] >= 0
    return HalfCellMesh(
        phases=phases, dz_m=dz, voxel_m=h,
        solid_index=solid_index.reshape(shape), electrolyte_index=elec_index.reshape(shape),
        am_index=am_index.reshape(shape),
        solid_edges=kept(s_a, s_b, s_g, solid_index),
        electrolyte_edges=kept(e_a, e_b, e_g, elec_index),
        am_edges=kept(m_a, m_b, m_g, am_index),
        reaction=reaction_out,
        collector=(solid_index[bottom[keep_bottom]], collector_g[keep_bottom]),
        lithium=(elec_index[top], np.full(top.size, h * h)),
        lithium_gap_m=dz[-1] / 2,
        am_volume_m3=volume[am_index >= 0],
        electrolyte_volume_m3=(porosity * volume)[elec_index >= 0],
        dead_am_volume_m3=float(volume[(flat == AM) & (am_index < 0)].sum()))


def _joined_to(a: np.ndarray, b: np.ndarray, terminal: np.ndarray, n: int) -> np.ndarray:
    """Which of ``n`` nodes the edges ``(a, b)`` join to the ``terminal`` nodes."""
    rows = np.concatenate([a, terminal])
    cols = np.concatenate([b, np.full(terminal.size, n)])
    graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1))
    _, component = connected_components(graph, directed=False)
    return component[:n] == component[n]
