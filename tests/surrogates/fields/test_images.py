"""A user's labelled image calendered by a field model (electroforge surrogate calender):
resampled to the model's voxels, a two-phase tomography split as stated, bad labels
refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.surrogates.fields.images import (read_label_image, resample_labels,
                                                   split_solid, with_void_above)
from electroforge.surrogates.fields.phases import AM, CBD, PORE, VOID

from helpers import assert_one_line_error, particle_frames, tiny_calendering_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_calendering_model(tmp_path_factory.mktemp("images"))


def test_a_two_phase_image_gets_its_stated_cbd_share_on_the_solid_surface():
    rng = np.random.default_rng(0)
    solid = particle_frames(rng, 0.2)[0] != PORE
    solid &= np.arange(16)[:, None, None] < 12               # the film, pore above
    labels = split_solid(solid, 0.15)
    assert (labels == CBD).sum() == round(0.15 * solid.sum())
    assert ((labels == AM) | (labels == CBD)).sum() == solid.sum()   # the solid kept
    # the CBD is the skin: every CBD voxel touches the pore, no AM voxel is nearer to it
    from scipy import ndimage

    depth = ndimage.distance_transform_edt(solid)
    assert depth[labels == CBD].max() <= depth[labels == AM].min()
    assert (with_void_above(labels)[12:] == VOID).all()


def test_resampling_keeps_the_phase_fractions_and_reaches_the_model_voxels():
    rng = np.random.default_rng(1)
    coarse = particle_frames(rng, 0.2)[0]                      # 16^3 at 1 um
    fine = resample_labels(coarse, 1.0, 0.5)
    assert fine.shape == (32, 32, 32)
    assert np.array_equal(fine[::2, ::2, ::2], coarse)        # nearest voxel
    for phase in (PORE, CBD, AM, VOID):
        assert (fine == phase).mean() == pytest.approx((coarse == phase).mean())
    with pytest.raises(InputError, match="voxel size"):
        resample_labels(coarse, 0.0, 0.5)


def test_the_calender_command_writes_the_calendered_image_and_its_properties(cli, tmp_path,
                                                                            model):
    dried = particle_frames(np.random.default_rng(2), 0.3)[0]
    coarse = dried[::2, ::2, ::2]                                  # a 1 um "tomography"
    np.save(tmp_path / "dried.npy", coarse)
    result = cli("surrogate", "calender", "dried.npy", "--cr", "30", "--voxel-um", "1",
                 "--model", str(model), "--out", "out.npy", "--properties", "p.json")
    assert result.code == 0, result.err
    out = np.load(tmp_path / "out.npy")
    assert out.shape == (16, 16, 16)                              # at the model's 0.5 um
    resampled = resample_labels(coarse, 1.0, 0.5)
    for phase in (AM, CBD):                                       # material kept
        assert (out == phase).sum() == (resampled == phase).sum()
    assert np.array_equal(out[0], resampled[0])           # on the collector, as it was
    report = json.loads((tmp_path / "p.json").read_text())
    assert report["voxel_um"] == 0.5 and report["cr_pct"] == 30
    assert report["properties"]["calendered"]["porosity"] < report["properties"]["dried"][
        "porosity"]
    assert "porosity" in result.out and "wrote out.npy" in result.out
    # its particles moved as rigid spheres instead: the masses kept, the film the model's gap
    moved = cli("surrogate", "calender", "dried.npy", "--cr", "30", "--voxel-um", "1",
                "--model", str(model), "--decode", "particles", "--out", "moved.npy",
                "--properties", "moved.json")
    assert moved.code == 0, moved.err
    out = np.load(tmp_path / "moved.npy")
    for phase in (AM, CBD):
        assert (out == phase).sum() == (resampled == phase).sum()
    from electroforge.surrogates.fields.baselines import film_height
    from electroforge.surrogates.fields.calendering import film_layers, load_calendering_model
    from electroforge.surrogates.fields.training import gap_ratio

    tiny = load_calendering_model(model)
    gap = gap_ratio(resampled, 0.3, tiny.header.get("porosity_floor", 0.0))
    assert tiny.task == "direct" and film_height(out) == film_layers(resampled, 1.0 - gap)
    report = json.loads((tmp_path / "moved.json").read_text())
    assert report["decode"] == "particles" and "(particles," in moved.out
    # a two-phase image with its stated split
    np.save(tmp_path / "two.npy", (coarse == AM) | (coarse == CBD))
    two = cli("surrogate", "calender", "two.npy", "--cr", "20", "--voxel-um", "1",
              "--model", str(model), "--cbd-fraction", "0.1", "--out", "two_out.npy")
    assert two.code == 0, two.err


def test_bad_images_are_refused_in_one_line(cli, tmp_path, model):
    np.save(tmp_path / "five.npy", np.full((8, 8, 8), 5, dtype=np.uint8))
    np.save(tmp_path / "flat.npy", np.zeros((8, 8), dtype=np.uint8))
    np.save(tmp_path / "lab.npy", np.full((8, 8, 8), 2, dtype=np.uint8))
    common = ("--cr", "30", "--voxel-um", "0.5", "--model", str(model))
    assert_one_line_error(cli("surrogate", "calender", "five.npy", *common, "--out", "o.npy"),
                          "five.npy", "unknown label", "5")
    assert_one_line_error(cli("surrogate", "calender", "flat.npy", *common, "--out", "o.npy"),
                          "flat.npy", "3D")
    assert_one_line_error(cli("surrogate", "calender", "lab.npy", *common,
                              "--cbd-fraction", "0.1", "--out", "o.npy"),
                          "lab.npy", "two-phase", "2")
    assert_one_line_error(cli("surrogate", "calender", "lab.npy", *common, "--out", "o.txt"),
                          "o.txt", ".npy")
    np.save(tmp_path / "two.npy", np.arange(512).reshape(8, 8, 8) % 2 == 0)
    assert_one_line_error(cli("surrogate", "calender", "two.npy", *common, "--out", "o.npy"),
                          "two.npy", "no AM", "--cbd-fraction")
    assert not (tmp_path / "o.npy").exists()
    with pytest.raises(InputError, match="unknown label"):
        read_label_image(tmp_path / "five.npy")


def test_an_unknown_decoding_is_refused_before_any_work(model):
    from electroforge.surrogates.fields.calendering import load_calendering_model

    dried = particle_frames(np.random.default_rng(3), 0.3)[0]
    with pytest.raises(InputError, match="decode.*'pixels'.*voxels or particles"):
        load_calendering_model(model).calender(dried, 30.0, decode="pixels")
