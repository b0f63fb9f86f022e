import numpy as np
import pandas as pd
import pytest

from electroforge.datasets import read_dataset

from helpers import assert_one_line_error


def write_design(tmp_path, **changes):
    design = pd.DataFrame({"am_wt_pct": [92.0], "sc_wt_pct": [62.0], "cr_pct": [20.0],
                           "c_rate": [1.0]} | {k: [v] for k, v in changes.items()})
    design.to_csv(tmp_path / "design.csv", index=False)


def test_run_writes_properties_and_caches(cli, tmp_path):
    write_design(tmp_path)
    args = ["line", "run", "design.csv", "--out", "props.parquet", "--workers", "0", "--grid", "48",
            "--cache-dir", "cache", "--frames-dir", "frames"]
    result = cli(*args)
    assert result.code == 0, result.err
    assert "wrote 1 recipes (1 simulated, 0 failed) to props.parquet" in result.out
    props = read_dataset(tmp_path / "props.parquet")
    assert props.loc[0, "error"] == "" and 0 < props.loc[0, "porosity"] < 1
    assert props.attrs["units"]["porosity"] == "-" and props.attrs["units"]["cr_pct"] == "%"
    assert props.attrs["metadata"]["command"].startswith("electroforge line run design.csv")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    assert len(list((tmp_path / "frames").glob("*.npz"))) == 1
    again = cli(*args)
    assert again.code == 0 and read_dataset(tmp_path / "props.parquet").equals(props)


def test_errors_before_any_work(cli, tmp_path):
    write_design(tmp_path, cr_pct=75.0)
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv"),
                          "design.csv", "row 1", "cr_pct", "75.0", "0 <= cr_pct <= 50")
    write_design(tmp_path)
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv", "--grid", "16"),
                          "grid", "16", "grid >= 48")
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.txt"), "--out", ".parquet")
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv", "--workers", "-1"),
                          "--workers", "-1")
    assert_one_line_error(cli("line", "run", "absent.csv", "--out", "p.csv"), "absent.csv")
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv", "--workers", "1",
                              "--scheduler", "tcp://127.0.0.1:1"), "not allowed with")
    assert_one_line_error(cli("line", "validate", "--workers", "-2"), "--workers")
    assert not (tmp_path / "p.csv").exists()


def test_frames_writes_the_calendering_series_with_their_conditions(cli, tmp_path):
    from electroforge.datasets.frames import read_frames

    write_design(tmp_path)
    result = cli("line", "frames", "design.csv", "--out", "frames", "--workers", "0",
                 "--grid", "48", "--cache-dir", "cache")
    assert result.code == 0, result.err
    assert "wrote 1 calendering series to frames (manifest.json)" in result.out
    dataset = read_frames(tmp_path / "frames")
    assert len(dataset) == 1 and dataset.manifest["line_version"]
    entry = dataset.table.iloc[0]
    assert entry["cr_pct"] == 20.0 and entry["shape"][1:] == [48, 48]
    series = dataset.series(0)
    labels = series["labels"]
    assert labels.dtype == "uint8" and set(np.unique(labels)) <= {0, 1, 2, 3}
    assert labels.shape[0] == entry["n_frames"] == len(series["strain"]) == len(series["phase"])
    assert series["phase"][0] == "dried" and series["strain"][0] == 0.0
    assert series["strain"].max() > 0.15 and {"loading", "unloading"} <= set(series["phase"])
    # the AM volume is kept through the roll (the film's AM voxels move, none vanish)
    am = (labels == 2).sum(axis=(1, 2, 3))
    assert am.min() > 0.97 * am[0] and am.max() < 1.03 * am[0]
    assert not (tmp_path / "frames" / ".line-frames").exists()
    (tmp_path / "frames" / "manifest.json").write_text("{}")
    from electroforge.errors import DatasetError

    with pytest.raises(DatasetError, match="manifest.json.*not a frames manifest"):
        read_frames(tmp_path / "frames")


def test_run_offers_the_lines_discharges_and_passes_the_choice(cli, tmp_path, monkeypatch):
    from electroforge import line
    from electroforge.cli.line import DISCHARGES as offered
    from electroforge.errors import InputError
    from electroforge.line.runner import DISCHARGES

    assert offered == DISCHARGES
    write_design(tmp_path)
    seen = {}

    def recorded(recipes, **options):
        seen.update(options)
        raise InputError("recorded", field="discharge", value=options["discharge"])

    monkeypatch.setattr(line, "run", recorded)
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv", "--workers", "0",
                              "--discharge", "halfcell"), "recorded", "halfcell")
    assert seen["discharge"] == "halfcell" and seen["device"] == "cpu"
    cli("line", "run", "design.csv", "--out", "p.csv", "--workers", "0")
    assert seen["discharge"] == "dfn"                    # the default
    # the device: refused in one line naming the option, before the design is read, where
    # this machine has none or the DFN is asked for; passed on where it can run
    import torch

    from electroforge.line.halfcell import solver

    if not torch.cuda.is_available():
        assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv",
                                  "--discharge", "halfcell", "--device", "cuda"),
                              "--device", "no CUDA device here")
    monkeypatch.setattr(solver, "check_device", lambda device, **_: (device, "torch"))
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv", "--device",
                              "cuda"), "--device", "--discharge halfcell")
    cli("line", "run", "design.csv", "--out", "p.csv", "--workers", "0",
        "--discharge", "halfcell", "--device", "cuda")
    assert seen["device"] == "cuda"
    assert_one_line_error(cli("line", "run", "design.csv", "--out", "p.csv",
                              "--discharge", "spm"), "--discharge", "spm", "halfcell")
    assert not (tmp_path / "p.csv").exists()
