"""Neural surrogates of voxel fields: 3D microstructures through the calendering roll
(issue 15) and, later, the discharge.

- :class:`FiLMUNet3d`: our 3D U-Net, conditioned on scalars (the compression, the frame's
  phase and strain) by FiLM, phase logits out;
- :func:`conserve_volumes`: phase probabilities made to hold given phase volumes
  (iterative proportional fitting), and :func:`assign_phases`: labels with the AM and CBD
  voxel counts exact;
- :func:`voxel_r2`: the reference's voxel R2 (Eq. 3) on one-hot phases inside the film;
- the baselines a surrogate must beat: :func:`copy_previous` and :func:`affine_z`, and
  :mod:`~electroforge.surrogates.fields.particles`: the dried AM moved as rigid spheres
  (with the line's extra: it draws with the line's code), also a decoding of a model's
  calendering;
- :mod:`~electroforge.surrogates.fields.files`: weights as safetensors with a JSON header
  (no pickle: a shared model file is data).

Why our own network: the reference's CNN is not published as a package, and a U-Net with
FiLM is a few hundred lines of plain torch; the frameworks that ship one (MONAI, nnU-Net)
bring far more than the model needs.
"""

from electroforge.surrogates.fields.baselines import affine_z, copy_previous
from electroforge.surrogates.fields.files import load_field_model, save_field_model
from electroforge.surrogates.fields.metrics import voxel_r2
from electroforge.surrogates.fields.phases import PHASES, assign_phases, conserve_volumes
from electroforge.surrogates.fields.unet import FiLMUNet3d

__all__ = ["FiLMUNet3d", "PHASES", "affine_z", "assign_phases", "conserve_volumes",
           "copy_previous", "load_field_model", "save_field_model", "voxel_r2"]
