"""A user's labelled voxel image of a dried electrode (e.g. a segmented tomography) made
ready for a calendering field model: read, checked, its solid split into AM and CBD when it
has only two phases, and resampled to the model's voxel size.

Axis 0 runs through the electrode's thickness, from the current collector (layer 0) up;
axes 1 and 2 are in plane. Labels are the line's (pore 0, CBD 1, AM 2, void 3 above the
film) or, for a two-phase image, pore 0 and solid 1. Everything above the highest layer
holding solid is void (a tomography shows the electrolyte or air above the film as pore),
and void below it is pore.

A two-phase image does not say which solid is CBD. We state the split and make it
explicitly: the CBD is the ``cbd_fraction`` of the solid voxels nearest the pore (by the
Euclidean distance transform of the solid), i.e. a skin on the solid's surface and the
thin necks between particles, where carbon-binder domains sit in FIB-SEM reconstructions;
the cores are AM.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from electroforge.errors import InputError
from electroforge.surrogates.fields.phases import AM, CBD, PORE, VOID

__all__ = ["read_label_image", "resample_labels", "split_solid", "with_void_above"]


def read_label_image(path: str | os.PathLike[str], *,
                     cbd_fraction: float | None = None) -> np.ndarray:
    """The labels (pore 0, CBD 1, AM 2, void 3) of the ``.npy`` image at ``path``; a
    two-phase image (0 pore, 1 solid) needs ``cbd_fraction`` (see the module doc)."""
    path = Path(path)
    try:
        image = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the image ({error})", source=str(path),
                         allowed="a 3D .npy array of integer labels") from None
    if image.ndim != 3 or image.dtype.kind not in "uib" or min(image.shape) < 2:
        raise InputError("not a 3D label image", source=str(path), field="array",
                         value=f"{image.dtype} {image.shape}",
                         allowed="a 3D integer array (z through the thickness, then y, x)")
    found = sorted(int(v) for v in np.unique(image))
    if cbd_fraction is not None:
        unknown = [v for v in found if v not in (0, 1)]
        if unknown:
            raise InputError("a two-phase image holds 0 (pore) and 1 (solid) only",
                             source=str(path), field="labels", value=unknown[0],
                             allowed="0 pore, 1 solid (or drop --cbd-fraction for the line's "
                             "labels 0 pore, 1 CBD, 2 AM, 3 void)")
        return with_void_above(split_solid(image == 1, cbd_fraction))
    unknown = [v for v in found if v not in (PORE, CBD, AM, VOID)]
    if unknown:
        raise InputError("unknown label in the image", source=str(path), field="labels",
                         value=unknown[0], allowed="0 pore, 1 CBD, 2 AM, 3 void (or a "
                         "two-phase image, 0 pore and 1 solid, with --cbd-fraction)")
    if AM not in found:
        raise InputError("the image holds no AM (label 2): a two-phase image?",
                         source=str(path), field="labels", value=found,
                         allowed="0 pore, 1 CBD, 2 AM, 3 void; a two-phase image (0 pore, "
                         "1 solid) with --cbd-fraction F")
    return with_void_above(image.astype(np.uint8))


def split_solid(solid: np.ndarray, cbd_fraction: float) -> np.ndarray:
    """Labels of a solid mask: the ``cbd_fraction`` of its voxels nearest the pore CBD,
    the rest AM, pore elsewhere.

    Example:
        >>> solid = np.zeros((1, 1, 7), bool); solid[0, 0, 1:6] = True
        >>> split_solid(solid, 0.4)[0, 0].tolist()
        [0, 1, 2, 2, 2, 1, 0]
    """
    from scipy import ndimage

    if not 0.0 <= cbd_fraction < 1.0:
        raise InputError("the CBD share of the solid", field="--cbd-fraction",
                         value=cbd_fraction, allowed="0 <= fraction < 1 (e.g. 0.1)")
    labels = np.where(solid, AM, PORE).astype(np.uint8)
    n_cbd = int(round(cbd_fraction * int(solid.sum())))
    if n_cbd:
        depth = ndimage.distance_transform_edt(solid)
        order = np.argsort(np.where(solid, depth, np.inf), axis=None, kind="stable")
        labels.ravel()[order[:n_cbd]] = CBD
    return labels


def with_void_above(labels: np.ndarray) -> np.ndarray:
    """``labels`` with every layer above the highest one holding solid made void, and void
    below it made pore (inside the film, what is not solid is electrolyte)."""
    solid = np.flatnonzero(((labels == AM) | (labels == CBD)).any(axis=(1, 2)))
    top = solid[-1] + 1 if len(solid) else 0
    out = labels.copy()
    film = out[:top]
    film[film == VOID] = PORE
    out[top:] = VOID
    return out


def resample_labels(labels: np.ndarray, voxel_um: float, to_voxel_um: float) -> np.ndarray:
    """``labels`` at ``voxel_um`` resampled (nearest voxel) to ``to_voxel_um``.

    Example:
        >>> resample_labels(np.arange(2)[:, None, None].repeat(2, 1).repeat(2, 2), 1.0, 0.5).shape
        (4, 4, 4)
    """
    from scipy import ndimage

    if not voxel_um > 0:
        raise InputError("the image's voxel size", field="--voxel-um", value=voxel_um,
                         allowed="a size in um > 0")
    factor = voxel_um / to_voxel_um
    if abs(factor - 1.0) < 1e-9:
        return labels
    return ndimage.zoom(labels, factor, order=0, mode="nearest", grid_mode=True)
