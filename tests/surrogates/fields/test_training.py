"""Training the calendering surrogate (electroforge surrogate train) on a tiny synthetic
frames folder: seeded, resumable after an interruption, the file loadable."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from electroforge.datasets.frames import FRAMES_FORMAT
from electroforge.errors import InputError
from electroforge.surrogates.fields import load_field_model, voxel_r2
from electroforge.surrogates.fields.training import _one_hot

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_fields import calender, dried  # noqa: E402


def write_series(folder, crs=(0.1, 0.3)):
    """Frames folders as `line frames` writes them: dried, compressed, sprung back."""
    folder.mkdir()
    rng = np.random.default_rng(3)
    entries = []
    for i, cr in enumerate(crs):
        dry = dried(rng)
        frames = np.stack([dry, calender(dry, cr / 2), calender(dry, cr),
                           calender(dry, cr)]).astype(np.uint8)
        np.savez_compressed(folder / f"series_{i:04d}.npz", labels=frames,
                            phase=np.array(["dried", "loading", "loading", "unloading"]),
                            strain=np.array([0.0, cr / 2, cr, cr]), top_um=np.ones(4),
                            roll_um=np.ones(4), cr_pct=np.float64(100 * cr),
                            voxel_um=np.float64(0.5), am_volume_um3=np.float64(1.0),
                            cbd_volume_um3=np.float64(1.0))
        entries.append({"file": f"series_{i:04d}.npz", "am_wt_pct": 90.0, "sc_wt_pct": 60.0,
                        "cr_pct": 100 * cr, "seed": i, "n_frames": 4, "shape": [16, 16, 16],
                        "voxel_um": 0.5})
    (folder / "manifest.json").write_text(json.dumps(
        {"format": FRAMES_FORMAT, "version": 1, "line_version": "test", "series": entries}))
    return folder


def test_training_learns_the_direct_map_for_every_compression(cli, tmp_path):
    frames = write_series(tmp_path / "frames")
    result = cli("surrogate", "train", "calendering", "frames", "--out", "m.safetensors",
                 "--epochs", "300", "--seed", "1")
    assert result.code == 0, result.err
    assert "epoch 300/300" in result.err and "wrote m.safetensors" in result.out
    model, header = load_field_model(tmp_path / "m.safetensors")
    assert header["task"] == "direct" and header["conditions"] == ["cr_fraction"]
    assert len(header["data_sha256"]) == 64 and header["line_version"] == "test"
    assert header["command"].startswith("electroforge surrogate train calendering frames")
    for index, cr in ((0, 0.1), (1, 0.3)):
        with np.load(frames / f"series_{index:04d}.npz") as data:
            labels = data["labels"]
        with torch.no_grad():
            predicted = model(_one_hot(labels[0])[None],
                              torch.tensor([[cr]])).argmax(1)[0].numpy()
        # one model, both compressions; copying the dried structure is far off
        assert voxel_r2(predicted, labels[-1]) > 0.95 > voxel_r2(labels[0], labels[-1])


def test_an_interrupted_training_resumes_to_the_same_weights(cli, tmp_path):
    from electroforge.surrogates.fields import training

    frames = write_series(tmp_path / "frames")
    whole = cli("surrogate", "train", "calendering", "frames", "--out", "whole.safetensors",
                "--epochs", "6", "--seed", "1")
    assert whole.code == 0, whole.err

    def stop(epoch, loss):
        if epoch == 3:
            raise KeyboardInterrupt

    command = ("electroforge surrogate train calendering frames --out resumed.safetensors "
               "--epochs 6 --seed 1")
    with pytest.raises(KeyboardInterrupt):
        training.train_calendering(frames, tmp_path / "resumed.safetensors", epochs=6, seed=1,
                                   header={"command": command}, progress=stop)
    assert (tmp_path / "resumed.safetensors.checkpoint").is_file()
    again = cli("surrogate", "train", "calendering", "frames", "--out", "resumed.safetensors",
                "--epochs", "6", "--seed", "1")
    assert again.code == 0, again.err
    assert "epoch   4/6" in again.err and "epoch   1/6" not in again.err
    assert not (tmp_path / "resumed.safetensors.checkpoint").exists()
    a, _ = load_field_model(tmp_path / "whole.safetensors")
    b, _ = load_field_model(tmp_path / "resumed.safetensors")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    # a checkpoint of another training is refused, not silently continued
    with pytest.raises(KeyboardInterrupt):
        training.train_calendering(frames, tmp_path / "other.safetensors", epochs=6, seed=1,
                                   progress=stop)
    with pytest.raises(InputError, match="checkpoint belongs to another training"):
        training.train_calendering(frames, tmp_path / "other.safetensors", epochs=6, seed=2)


def test_training_input_is_checked(cli, tmp_path):
    from helpers import assert_one_line_error

    write_series(tmp_path / "frames")
    assert_one_line_error(cli("surrogate", "train", "calendering", "none", "--out",
                              "m.safetensors"), "none", "manifest")
    assert_one_line_error(cli("surrogate", "train", "calendering", "frames", "--out",
                              "m.pt"), "m.pt", ".safetensors")


def test_the_next_frame_task_has_one_sample_per_transition(tmp_path):
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields.training import PHASE_CODES, samples

    dataset = read_frames(write_series(tmp_path / "frames"))
    pairs = samples(dataset, "next")
    assert len(pairs) == 2 * 3
    x, conditions, y = pairs[1]
    assert list(conditions) == [0.1, PHASE_CODES["loading"], 0.1]     # cr, phase, strain
    with pytest.raises(InputError, match="unknown task"):
        samples(dataset, "backwards")
