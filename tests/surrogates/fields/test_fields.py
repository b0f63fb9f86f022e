"""The field models' building blocks (electroforge.surrogates.fields) on a tiny synthetic
calendering: a dried 16^3 structure of AM spheres and CBD voxels, periodic in x and y as
the line's box is, compressed affinely in z by the compression rate (the film's material
kept, void above)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from electroforge.errors import InputError
from electroforge.surrogates.fields import (
    FiLMUNet3d, assign_phases, conserve_volumes, load_field_model, save_field_model, voxel_r2)
from electroforge.surrogates.fields.phases import AM, CBD, VOID

FILM = 12


def dried(rng, n=16):
    z, y, x = np.mgrid[:n, :n, :n]
    labels = np.zeros((n, n, n), np.int64)
    for _ in range(10):
        centre = rng.uniform([1, 0, 0], [FILM - 1, n, n])
        radius = rng.uniform(2, 3.5)
        dy, dx = ((d + n / 2) % n - n / 2 for d in (y - centre[1], x - centre[2]))
        labels[(z - centre[0]) ** 2 + dy ** 2 + dx ** 2 < radius ** 2] = AM
    labels[(labels == 0) & (rng.random(labels.shape) < 0.15)] = CBD
    labels[FILM:] = VOID
    return labels


def calender(labels, cr):
    out = np.full_like(labels, VOID)
    for z in range(int(round(FILM * (1 - cr)))):
        out[z] = labels[min(FILM - 1, int(z / (1 - cr)))]
    return out


def one_hot(labels):
    return F.one_hot(torch.as_tensor(labels), 4).permute(3, 0, 1, 2).float()


def test_one_network_learns_the_map_for_every_compression():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    crs = [0.1, 0.25, 0.4]
    dry = [dried(rng) for _ in crs]
    final = [calender(d, cr) for d, cr in zip(dry, crs)]
    x = torch.stack([one_hot(d) for d in dry])
    conditions = torch.tensor([[cr] for cr in crs])
    target = torch.as_tensor(np.stack(final))
    net = FiLMUNet3d(n_conditions=1, width=8, depth=2)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(450):
        optimizer.zero_grad()
        F.cross_entropy(net(x, conditions), target).backward()
        optimizer.step()
    with torch.no_grad():
        logits = net(x, conditions)
    # it overfits the three series (one model, three compressions)
    predicted = logits.argmax(dim=1).numpy()
    assert min(voxel_r2(p, t) for p, t in zip(predicted, final)) > 0.99
    # ... and beats copying the dried structure, whose film is too thick
    assert max(voxel_r2(d, t) for d, t in zip(dry, final)) < 0.9
    # labels that keep the dried AM and CBD volumes exactly
    for d, probabilities in zip(dry, logits.softmax(dim=1)):
        labels = assign_phases(probabilities, int((d == AM).sum()), int((d == CBD).sum()))
        assert int((labels == AM).sum()) == int((d == AM).sum())
        assert int((labels == CBD).sum()) == int((d == CBD).sum())


def test_soft_volumes_are_conserved_and_voxels_stay_distributions():
    torch.manual_seed(1)
    p = torch.rand(2, 4, 5, 6, 7).softmax(dim=1)
    counts = torch.tensor([[60.0, 40.0, 80.0, 30.0], [100.0, 20.0, 50.0, 40.0]])
    q = conserve_volumes(p, counts, iterations=200)
    assert torch.allclose(q.sum(dim=(2, 3, 4)), counts, rtol=1e-4)
    assert torch.allclose(q.sum(dim=1), torch.ones(2, 5, 6, 7), atol=1e-6)


def test_voxel_r2_counts_the_film_only():
    truth = np.array([0, 1, 2, 2, 3, 3])
    assert voxel_r2(truth, truth) == 1.0
    # void above both is not film: adding more changes nothing
    assert voxel_r2(np.array([0, 1, 2, 1, 3, 3]), truth) == pytest.approx(0.2)
    assert voxel_r2(np.r_[[0, 1, 2, 1], [3] * 50], np.r_[[0, 1, 2, 2], [3] * 50]) == \
        pytest.approx(0.2)


def test_a_field_model_file_round_trips_exactly_and_refuses_other_files(tmp_path):
    torch.manual_seed(2)
    net = FiLMUNet3d(n_conditions=3, width=4, depth=1)
    path = save_field_model(net, tmp_path / "m.safetensors", {"line_version": "4"})
    again, header = load_field_model(path)
    assert header["line_version"] == "4" and header["config"] == net.config
    x, c = torch.rand(1, 4, 6, 8, 8), torch.rand(1, 3)
    with torch.no_grad():
        assert torch.equal(net.eval()(x, c), again(x, c))
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(InputError, match="bad.safetensors.*cannot read the field model"):
        load_field_model(tmp_path / "bad.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(InputError, match="plain.safetensors.*not a field model"):
        load_field_model(tmp_path / "plain.safetensors")
