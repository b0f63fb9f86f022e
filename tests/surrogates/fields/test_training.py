"""Training the calendering surrogate (electroforge surrogate train) on a tiny synthetic
frames folder: seeded, resumable after an interruption, the file loadable."""

from __future__ import annotations


import numpy as np
import pytest
import torch

from electroforge.errors import InputError
from electroforge.surrogates.fields import load_field_model, voxel_r2
from electroforge.surrogates.fields.baselines import affine_z, film_height
from electroforge.surrogates.fields.calendering import CalenderingModel, film_layers
from electroforge.surrogates.fields.phases import AM, CBD

from helpers import write_series



def test_training_learns_the_direct_map_for_every_compression(cli, tmp_path):
    frames = write_series(tmp_path / "frames")
    result = cli("surrogate", "train", "calendering", "frames", "--out", "m.safetensors",
                 "--epochs", "800", "--seed", "1")
    assert result.code == 0, result.err
    assert "epoch 800/800" in result.err and "wrote m.safetensors" in result.out
    net, header = load_field_model(tmp_path / "m.safetensors")
    model = CalenderingModel(net, header)
    assert header["task"] == "direct" and header["conditions"] == ["cr_fraction", "gap_strain"]
    assert len(header["data_sha256"]) == 64 and header["line_version"] == "test"
    assert header["command"].startswith("electroforge surrogate train calendering frames")
    for index, cr in ((0, 0.1), (1, 0.3)):
        with np.load(frames / f"series_{index:04d}.npz") as data:
            labels = data["labels"]
        predicted = model.calender(labels[0], 100 * cr)
        # one model, both compressions, spring-back learnt: the dried structure and its
        # affine squeeze to the roll gap (the model's input) are both further off
        assert voxel_r2(predicted, labels[-1]) > 0.99
        assert voxel_r2(affine_z(labels[0], 1 - cr), labels[-1]) < 0.95
        assert voxel_r2(labels[0], labels[-1]) < 0.9
        for phase in (AM, CBD):                               # volumes kept exactly
            assert (predicted == phase).sum() == (labels[0] == phase).sum()


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
    assert_one_line_error(cli("surrogate", "train", "calendering", "frames", "--out",
                              "m.safetensors", "--pushforward-from", "0"),
                          "--pushforward-from", "--task next")
    assert_one_line_error(cli("surrogate", "train", "calendering", "frames", "--out",
                              "m.safetensors", "--jump-fraction", "0.5"),
                          "--jump-fraction", "--task next")
    assert_one_line_error(cli("surrogate", "train", "calendering", "frames", "--out",
                              "m.safetensors", "--task", "next", "--jump-fraction", "2"),
                          "--jump-fraction", "from 0 to 1")


def test_the_next_frame_task_has_one_sample_per_transition(tmp_path):
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields.training import PHASE_CODES, samples

    dataset = read_frames(write_series(tmp_path / "frames"))
    pairs = samples(dataset, "next")
    assert len(pairs) == 2 * 3
    x, ratio, conditions, y = pairs[1]
    # cr, phase, strain; the source squeezed from strain 0.05 to 0.1 of the dried film
    assert list(conditions) == pytest.approx([0.1, PHASE_CODES["loading"], 0.1])
    assert ratio == pytest.approx(0.9 / 0.95)
    with pytest.raises(InputError, match="unknown task"):
        samples(dataset, "backwards")


def test_a_next_frame_model_rolls_out_the_series_keeping_the_am_volume(tmp_path):
    from electroforge.surrogates.fields.training import train_calendering

    frames = write_series(tmp_path / "frames")
    train_calendering(frames, tmp_path / "next.safetensors", task="next", epochs=400, seed=0)
    model = CalenderingModel(*load_field_model(tmp_path / "next.safetensors"))
    with np.load(frames / "series_0001.npz") as data:
        truth, phases, strains = data["labels"], data["phase"], data["strain"]
    rolled = model.rollout(truth[0], 30.0, list(zip(phases[1:], strains[1:])))
    assert rolled.shape == truth.shape
    for frame, strain in zip(rolled, strains):  # every frame of the rollout keeps the AM
        assert (frame == AM).sum() == (truth[0] == AM).sum()
        # and the film height its strain states, the line's (void above the top)
        assert film_height(frame) == film_layers(truth[0], strain)
    assert [film_height(f) for f in rolled] == [film_height(f) for f in truth]
    # fed its own frames, it stays close to every true frame, far closer than the dried
    # structure is
    for t in range(1, len(truth)):
        assert voxel_r2(rolled[t], truth[t]) > max(0.7, voxel_r2(truth[0], truth[t]) + 0.2)
    # scored as the reference scored its network too: each frame from the true one before
    from electroforge.surrogates.fields.validation import validate_calendering

    result = validate_calendering(model, frames, transport=False)
    one_step = result.frames[result.frames["method"] == "one_step"]
    assert sorted(one_step["frame"].unique()) == [1, 2, 3] and len(one_step) == 2 * 3
    first = one_step[(one_step["series"] == 1) & (one_step["frame"] == 1)]["r2"].item()
    step = model.step(truth[0], [0.3, 0.5, strains[1]], 1.0 - strains[1],
                      ((truth[0] == AM).sum(), (truth[0] == 1).sum()),
                      film_height(truth[1]))
    assert first == pytest.approx(voxel_r2(step, truth[1]))
    by_frame = result.frames.groupby(["method", "frame"])["r2"].mean()
    assert (by_frame["one_step"] > 0.8).all() and (by_frame["one_step"] > by_frame["copy"]).all()
    assert "one_step" in set(result.final["method"])
    # as the line uses it: from the dried structure and the CR alone, unloaded to the
    # spring-back of its training series: gaps of 0.9 and 0.7 x 12 layers, sprung back to
    # 11 and 9 (SCHEDULE: 0.8 x the CR)
    slope = (0.1 * (11 / 10.8 - 1) + 0.3 * (9 / 8.4 - 1)) / (0.1 ** 2 + 0.3 ** 2)
    assert model.header["spring_back"]["per_gap_strain"] == pytest.approx(slope)
    assert model.header["spring_back"]["series"] == 2
    final = model.calender(truth[0], 30.0)
    assert film_height(final) == round(8.4 * (1 + slope * 0.3)) == film_height(truth[-1])
    assert ((final == AM).sum(), (final == CBD).sum()) == ((truth[0] == AM).sum(),
                                                          (truth[0] == CBD).sum())
    calendered = result.frames[result.frames["method"] == "calender"]
    assert calendered["frame"].tolist() == [3, 3]
    assert calendered[calendered["series"] == 1]["r2"].item() == pytest.approx(
        voxel_r2(final, truth[-1]))
    assert {"calender", "model", "affine"} <= set(result.final["method"])
    # a model without the law (trained before it) unloads at the gap, 8.4 layers
    header = {k: v for k, v in model.header.items() if k != "spring_back"}
    assert film_height(CalenderingModel(model.net, header).calender(truth[0], 30.0)) == 8
    for law in ({"per_gap_strain": -0.1}, {"per_gap_strain": float("nan")},
                {"per_gap_strain": True}, {}, "0.2", 0.2):
        with pytest.raises(InputError, match="spring_back.per_gap_strain.*spring-back law"):
            CalenderingModel(model.net, {**header, "spring_back": law})
    # in larger steps: to the last loading frame (2), then to the final one (3)
    strided = validate_calendering(model, frames, transport=False, rollout_stride=2)
    rows = strided.frames[(strided.frames["method"] == "model") & (strided.frames["series"] == 1)]
    assert rows["frame"].tolist() == [2, 3]
    coarse = model.rollout(truth[0], 30.0, [(phases[2], strains[2]), (phases[3], strains[3])],
                           [film_height(truth[2]), film_height(truth[3])])
    assert rows["r2"].tolist() == pytest.approx([voxel_r2(coarse[1], truth[2]),
                                                 voxel_r2(coarse[2], truth[3])])
    # its one-step score is made on those frames only, each as the stride-1 run made it
    strided_one = strided.frames[strided.frames["method"] == "one_step"]
    assert sorted(strided_one["frame"].unique()) == [2, 3]
    merged = strided_one.merge(one_step, on=["series", "frame"])
    assert len(merged) == 2 * 2
    assert merged["r2_x"].tolist() == pytest.approx(merged["r2_y"].tolist())
    with pytest.raises(ValueError, match="rollout_stride"):
        validate_calendering(model, frames, rollout_stride=0)
    train_calendering(frames, tmp_path / "direct.safetensors", epochs=1)
    direct = CalenderingModel(*load_field_model(tmp_path / "direct.safetensors"))
    with pytest.raises(InputError, match="next-frame model"):
        direct.rollout(truth[0], 30.0, [])


def test_the_pushforward_trains_a_next_model_on_its_own_frames(tmp_path, monkeypatch):
    from electroforge.surrogates.fields import training

    frames = write_series(tmp_path / "frames")
    fed, pushed_forward = [], training._pushed_forward

    def spy(net, sources, before, *args):
        out = pushed_forward(net, sources, before, *args)
        fed.append((sources, before, out))
        return out

    monkeypatch.setattr(training, "_pushed_forward", spy)
    batches = []
    header = training.train_calendering(frames, tmp_path / "push.safetensors", task="next",
                                        epochs=400, seed=0, pushforward_from=100,
                                        batch_progress=lambda *done: batches.append(done))
    assert header["pushforward_from"] == 100
    assert batches[:3] == [(1, 4, 6), (1, 6, 6), (2, 4, 6)] and batches[-1] == (400, 6, 6)
    assert len(fed) == 300 * 2                 # from epoch 100, every batch (6 samples, 4 a batch)
    # each source it was fed is a frame as a rollout makes it: the counts of the frame it
    # came from, the film height of the frame it stands for
    for sources, before, out in fed[-2:]:
        for source, b, o in zip(sources, before, out):
            assert [(o == p).sum() for p in (AM, CBD)] == [(b == p).sum() for p in (AM, CBD)]
            assert film_height(o) == film_height(source)
    model = CalenderingModel(*load_field_model(tmp_path / "push.safetensors"))
    with np.load(frames / "series_0001.npz") as data:
        truth, phases, strains = data["labels"], data["phase"], data["strain"]
    rolled = model.rollout(truth[0], 30.0, list(zip(phases[1:], strains[1:])))
    for t in range(1, len(truth)):
        assert voxel_r2(rolled[t], truth[t]) > max(0.7, voxel_r2(truth[0], truth[t]) + 0.2)
    with pytest.raises(InputError, match="--pushforward-from"):
        training.train_calendering(frames, tmp_path / "d.safetensors", pushforward_from=0)


def test_the_spring_back_is_fitted_from_the_gap_the_porosity_floor_stops_the_roll_at():
    from electroforge.surrogates.fields.training import spring_back_law

    class Frames(list):
        manifest = {"line_parameters": {"porosity_floor": 0.2}}

        def series(self, index):
            return self[index]

    dried = np.array([2, 0] * 5 + [3] * 10)[:, None, None]      # 10 layers, porosity 0.5
    final = np.where(np.arange(20) < 7, 2, 3)[:, None, None]
    # at CR 50 % the roll stops where the film reaches the floor: 0.5 / 0.8 of 10 layers,
    # 6.25, not the gap's 5; the film springs back to 7 from there
    law = spring_back_law(Frames([{"labels": np.stack([dried, final]), "cr_pct": 50.0}]))
    assert law["per_gap_strain"] == pytest.approx((7 / 6.25 - 1) / 0.375)
    assert law["rms"] == pytest.approx(0.0, abs=1e-12) and law["series"] == 1


def test_jumps_train_a_next_model_on_the_steps_its_calender_takes(tmp_path):
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields import training

    frames = write_series(tmp_path / "frames")
    dataset = read_frames(frames)
    # series: dried, loading to 0.5 and 1.0 of the gap, unloading to 0.8 (x CR)
    jumps = training.jump_sources(dataset)
    pairs = training.samples(dataset, "next", source_strain=True)
    assert len(jumps) == len(pairs) == 2 * 3
    with np.load(frames / "series_0001.npz") as data:
        truth, strains = data["labels"], data["strain"]
    # frame 2 (the gap) from the dried structure, frame 3 (unloaded) from frame 2
    (x1, r1, s1), (x2, r2, s2), (x3, r3, s3) = jumps[3:]
    assert np.array_equal(x1, truth[0]) and np.array_equal(x2, truth[0])
    assert np.array_equal(x3, truth[2])
    assert (r2, s2) == pytest.approx((1.0 - 0.3, 0.0))
    assert (r3, s3) == pytest.approx(((1.0 - 0.24) / (1.0 - 0.3), 0.3))
    # without jumps, the source's strain is the frame before's
    assert list(pairs[4][2]) == pytest.approx([0.3, training.PHASE_CODES["loading"], 0.3, 0.15])
    header = training.train_calendering(frames, tmp_path / "jump.safetensors", task="next",
                                        epochs=400, seed=0, jump_fraction=1.0)
    assert header["jump_fraction"] == 1.0
    assert header["conditions"] == ["cr_fraction", "phase_code", "strain", "source_strain"]
    model = CalenderingModel(*load_field_model(tmp_path / "jump.safetensors"))
    assert model.next_conditions(30.0, "unloading", 0.24, 0.3) == pytest.approx(
        [0.3, training.PHASE_CODES["unloading"], 0.24, 0.3])
    # trained on the calender's own steps, it calenders the dried structure to the final
    # one: in one step to the gap, in one more to its spring-back (the same training
    # without jumps: 0.896)
    final = model.calender(truth[0], 30.0)
    assert voxel_r2(final, truth[-1]) > 0.98
    assert ((final == AM).sum(), (final == CBD).sum()) == ((truth[0] == AM).sum(),
                                                          (truth[0] == CBD).sum())
    for fraction, push in ((0.0, None), (1.5, None), (0.5, 1)):
        with pytest.raises(InputError, match="--jump-fraction"):
            training.train_calendering(frames, tmp_path / "bad.safetensors", task="next",
                                       jump_fraction=fraction, pushforward_from=push)
    with pytest.raises(InputError, match="--jump-fraction.*task direct"):
        training.train_calendering(frames, tmp_path / "bad.safetensors", jump_fraction=0.5)


def test_the_spring_back_law_learns_how_the_recipe_and_the_gap_shape_the_spring_back(
        tmp_path):
    from electroforge.surrogates.fields.training import (SPRING_BACK_TERMS, spring_back_fraction,
                                                         spring_back_law)

    class Frames(list):
        manifest = {"line_parameters": {"porosity_floor": 0.0}}

        def series(self, index):
            return self[index]

    truth = {"constant": 0.5, "gap_strain": 0.7, "cbd_fraction": -0.6, "dried_porosity": -0.9}
    rng = np.random.default_rng(0)
    series = []
    for _ in range(12):                    # 2000-layer columns: a layer is 0.05 % of a film
        cbd, porosity, cr = rng.uniform(0.05, 0.2), rng.uniform(0.35, 0.5), rng.uniform(0.05, 0.3)
        layers = np.full(4000, 3)
        layers[:2000] = 2
        layers[:round(2000 * (cbd + porosity))] = 1
        layers[:round(2000 * porosity)] = 0
        back = cr * sum(c * x for c, x in zip(truth.values(), (1, cr, cbd, porosity)))
        final = np.where(np.arange(4000) < round(2000 * (1 - cr) * (1 + back)), 2, 3)
        series.append({"labels": np.stack([layers, final])[:, :, None, None],
                       "cr_pct": 100 * cr})
    law = spring_back_law(Frames(series))
    assert list(law["slope_terms"]) == list(SPRING_BACK_TERMS)
    assert list(law["slope_terms"].values()) == pytest.approx(list(truth.values()), abs=0.02)
    assert law["slope_terms_rms"] < 5e-4 < law["rms"]       # the proportional law misses it
    # a model unloads to it: 0.3 x (0.5 + 0.7 x 0.3 - 0.6 x 0.1 - 0.9 x 0.45) of the gap
    dried = series[0]["labels"][0]
    cbd, porosity = (dried[:2000] == CBD).mean(), (dried[:2000] == 0).mean()
    header = {"task": "next", "input": "affine_z_squeeze", "spring_back": law}
    model = CalenderingModel(torch.nn.Identity(), header)
    expected = 0.3 * (0.5 + 0.7 * 0.3 - 0.6 * cbd - 0.9 * porosity)
    assert model.spring_back(dried, 0.3) == pytest.approx(expected, abs=0.005)
    assert model.spring_back(dried, 0.3) == spring_back_fraction(law, (1.0, 0.3, cbd, porosity))
    # never a film that shrinks as it is unloaded, nor one that springs back past the cap
    assert CalenderingModel(torch.nn.Identity(), {**header, "spring_back": {
        "per_gap_strain": 0.2, "slope_terms": {**truth, "constant": -5.0}}}).spring_back(
            dried, 0.3) == 0.0
    assert CalenderingModel(torch.nn.Identity(), {**header, "spring_back": {
        "per_gap_strain": 0.2, "slope_terms": {**truth, "constant": 50.0}}}).spring_back(
            dried, 0.3) == pytest.approx(0.6)
    for terms in ({**truth, "constant": float("inf")}, {"constant": 0.5}, [0.5, 0.7],
                  {**truth, "extra": 1.0}, {**truth, "gap_strain": "0.7"}):
        with pytest.raises(InputError, match="spring_back.slope_terms.*dried_porosity"):
            CalenderingModel(torch.nn.Identity(), {**header, "spring_back": {
                "per_gap_strain": 0.2, "slope_terms": terms}})
