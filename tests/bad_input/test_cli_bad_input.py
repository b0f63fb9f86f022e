"""Bad input across every command, through the CLI's ``main(argv)`` in-process, on a copy
of a tiny fixture workspace (see conftest.py): each case must exit 2 with one line that
names what it must, print no traceback, and leave every file and the store's SQL dump as
they were."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from electroforge.cli import main

from helpers import snapshot

PROPERTIES = ["tortuosity_factor", "density_g_cm3", "conductivity_s_m", "active_surface_pct"]


# -- setups: each edits the copy of the fixture before the command runs ----------------
def write(name: str, text: str):
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return setup


def write_bytes(name: str, data: bytes):
    def setup(root: Path) -> None:
        (root / name).write_bytes(data)
    return setup


def folder(name: str, mode: int | None = None):
    def setup(root: Path) -> None:
        (root / name).mkdir(parents=True, exist_ok=True)
        if mode is not None:
            os.chmod(root / name, mode)
    return setup


def read_only_file(name: str):
    def setup(root: Path) -> None:
        (root / name).write_text("keep me\n")
        os.chmod(root / name, 0o444)
    return setup


def campaign_file(body: str, name: str = "c.toml"):
    return write(name, body)


def edited_model(edit, name: str = "edited.json"):
    def setup(root: Path) -> None:
        data = json.loads((root / "model.json").read_text())
        edit(data)
        (root / name).write_text(json.dumps(data))
    return setup


def table(name: str, rows: dict):
    def setup(root: Path) -> None:
        pd.DataFrame(rows).to_csv(root / name, index=False)
    return setup


def lab_sheet(name: str = "r.csv", rows=None, **changes):
    """The fixture's filled-in lab sheet with some cells changed (``column=[values]``)."""
    def setup(root: Path) -> None:
        sheet = pd.read_csv(root / "lab-results.csv")
        if rows is not None:
            sheet = sheet.iloc[rows].reset_index(drop=True)
        for column, values in changes.items():
            sheet[column] = values
        sheet.to_csv(root / name, index=False)
    return setup


def lab_cell(row: int, column: str, value):
    """The fixture's lab sheet with one cell changed (``row`` 0-based)."""
    def setup(root: Path) -> None:
        sheet = pd.read_csv(root / "lab-results.csv")
        sheet.loc[row, column] = value
        sheet.to_csv(root / "r.csv", index=False)
    return setup


def locks_file(root: Path) -> None:
    import shutil

    locks = root / "electroforge-workspace" / "locks"
    shutil.rmtree(locks, ignore_errors=True)
    locks.write_text("not a folder\n")


def c1_sheet(name: str = "r.csv", **changes):
    """A sheet for campaign c1's pending proposal 2, with some cells changed."""
    def setup(root: Path) -> None:
        from electroforge.campaigns.campaign import Campaign
        from electroforge.campaigns.store import Store

        store = Store(root / "electroforge-workspace")
        pending = Campaign(store, "c1").proposals("pending")
        store.close()
        sheet = pending[["proposal_id", "am_wt_pct", "sc_wt_pct", "cr_pct"]].copy()
        sheet = sheet.assign(tortuosity_factor=2.0, density_g_cm3=2.5, conductivity_s_m=10.0,
                             active_surface_pct=40.0)
        for column, values in changes.items():
            sheet[column] = values
        sheet.to_csv(root / name, index=False)
    return setup


def store_bytes(data: bytes | None = None, *, at: int | None = None):
    """Replace the store with ``data``, or overwrite its bytes from offset ``at`` on."""
    def setup(root: Path) -> None:
        store = root / "electroforge-workspace" / "electroforge.db"
        if at is None:
            store.write_bytes(data or b"")
        else:
            raw = bytearray(store.read_bytes())
            raw[at:at + 2048] = b"\xa5" * min(2048, len(raw) - at)
            store.write_bytes(bytes(raw))
    return setup


def foreign_sqlite(root: Path) -> None:
    store = root / "electroforge-workspace" / "electroforge.db"
    store.unlink()
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()


def chmod(name: str, mode: int):
    def setup(root: Path) -> None:
        os.chmod(root / name, mode)
    return setup


def remove(name: str):
    def setup(root: Path) -> None:
        (root / name).unlink()
    return setup


def both(*setups):
    def setup(root: Path) -> None:
        for step in setups:
            step(root)
    return setup


def replace_model(inputs: list[str], outputs: list[str] | None = None):
    """The campaigns' model file replaced by one over other inputs or outputs."""
    def setup(root: Path) -> None:
        import numpy as np

        from electroforge.surrogates import SymbolicSurrogate

        rng = np.random.default_rng(0)
        X = pd.DataFrame({"am_wt_pct": rng.uniform(85, 97, 30), "sc_wt_pct": rng.uniform(55, 72, 30),
                          "cr_pct": rng.uniform(0, 50, 30)})[inputs]
        Y = pd.DataFrame({"tortuosity_factor": 1 + X.cr_pct / 25, "density_g_cm3": 2 + X.cr_pct / 50,
                          "conductivity_s_m": 100 - X.am_wt_pct,
                          "active_surface_pct": X.am_wt_pct - 50})[outputs or
                                                                    list(PROPERTIES)]
        SymbolicSurrogate(max_terms=1).fit(X, Y).save(
            root / "electroforge-workspace" / "model.json")
    return setup


def store_sql(statement: str):
    """Edit the store's records by hand (a damaged record that SQLite itself accepts)."""
    def setup(root: Path) -> None:
        db = sqlite3.connect(root / "electroforge-workspace" / "electroforge.db")
        db.execute(statement)
        db.commit()
        db.close()
    return setup


def fifo(name: str):
    def setup(root: Path) -> None:
        os.mkfifo(root / name)
    return setup


def _big_tree_number(data):
    name = next(iter(data["models"]))
    data["models"][name] = {"kind": "expression", "n_features": 3,
                            "tree": ["add", ["x", 0], ["num", 10 ** 400]]}


def _first_model(data):
    return next(iter(data["models"].values()))


def _nan_coefficient(data):
    next(iter(data["models"].values()))["coefficients"] = ["nan"]


def _srepr_injection(data):
    data["format_version"] = 1
    name = next(iter(data["models"]))
    data["models"][name] = {"kind": "expression", "n_features": 3,
                            "srepr": "Add(Symbol('x0'), Integer(__import__('os').system("
                                     "'touch PWNED')))"}


def _bad_tree(data):
    name = next(iter(data["models"]))
    data["models"][name] = {"kind": "expression", "n_features": 3,
                            "tree": ["system", ["x", 0]]}


INJECTION = "__import__('os').system('touch PWNED') + cr_pct <= 110"
C = 'name = "x"\nbudget = 4\n'                 # the start of a campaign file
SURROGATE = '[evaluator]\nmodel = "model.json"\n'
OK = "--out d.csv"
OBJECTIVE_TAIL = '[[targets]]\nname = "density_g_cm3"\ndirection = "max"\n'

# (id, command line, fragments the one line must hold, setup)
CASES = [
    # -- the command line itself ------------------------------------------------------
    ("no-command", "", ["required"], None),
    ("unknown-command", "frobnicate", ["invalid choice"], None),
    ("unknown-option", "doe sobol --n 8 --out d.csv --frobnicate", ["unrecognized"], None),
    # -- doe ----------------------------------------------------------------------------
    ("doe-method", "doe halton --n 8 --out d.csv", ["invalid choice"], None),
    ("doe-no-n", "doe sobol --out d.csv", ["--n"], None),
    ("doe-n-zero", f"doe sobol --n 0 {OK}", ["--n", ">= 1"], None),
    ("doe-n-negative", f"doe sobol --n -3 {OK}", ["--n"], None),
    ("doe-n-text", f"doe sobol --n abc {OK}", ["abc"], None),
    ("doe-n-float", f"doe sobol --n 2.5 {OK}", ["2.5"], None),
    ("doe-seed-negative", f"doe sobol --n 8 --seed -1 {OK}", ["--seed"], None),
    ("doe-no-out", "doe sobol --n 8", ["--out"], None),
    ("doe-out-format", "doe sobol --n 8 --out d.txt", ["d.txt", "unsupported", ".csv"], None),
    ("doe-out-folder", "doe sobol --n 8 --out sub", ["sub", "folder"], folder("sub")),
    ("doe-out-slash", "doe sobol --n 8 --out sub/", ["folder"], None),
    ("doe-out-readonly-folder", "doe sobol --n 8 --out ro/d.csv", ["ro/d.csv", "read-only"],
     folder("ro", 0o555)),
    ("doe-out-parent-file", "doe sobol --n 8 --out model.json/d.csv", ["model.json", "file"],
     None),
    ("doe-out-readonly-file", "doe sobol --n 8 --out ro.csv", ["ro.csv", "read-only"],
     read_only_file("ro.csv")),
    ("doe-out-meta-folder", "doe sobol --n 8 --out d.csv", ["d.csv.meta.json", "folder"],
     folder("d.csv.meta.json")),
    ("doe-out-is-space", "doe sobol --n 8 --out s.csv --space s.csv", ["s.csv"],
     write("s.csv", "x")),
    ("doe-plot-format", f"doe sobol --n 8 {OK} --plot p.txt", ["p.txt", ".png"], None),
    ("doe-plot-folder", f"doe sobol --n 8 {OK} --plot sub", ["sub", "folder"], folder("sub")),
    ("doe-plot-readonly", f"doe sobol --n 8 {OK} --plot ro/p.png", ["read-only"],
     folder("ro", 0o555)),
    ("doe-bounds-reversed", f"doe sobol --n 8 {OK} --bounds cr_pct=40:10", ["cr_pct"], None),
    ("doe-bounds-text", f"doe sobol --n 8 {OK} --bounds cr_pct=abc:10", ["cr_pct", "abc"],
     None),
    ("doe-bounds-form", f"doe sobol --n 8 {OK} --bounds cr_pct=10", ["LOW:HIGH"], None),
    ("doe-bounds-unknown", f"doe sobol --n 8 {OK} --bounds nope=1:2", ["nope"], None),
    ("doe-bounds-nan", f"doe sobol --n 8 {OK} --bounds cr_pct=nan:10", ["cr_pct", "nan"], None),
    ("doe-fix-nan", f"doe sobol --n 8 {OK} --fix cr_pct=nan", ["cr_pct", "nan"], None),
    ("doe-fix-inf", f"doe sobol --n 8 {OK} --fix cr_pct=inf", ["cr_pct", "inf"], None),
    ("doe-fix-outside", f"doe sobol --n 8 {OK} --fix cr_pct=500", ["cr_pct", "500"], None),
    ("doe-fix-form", f"doe sobol --n 8 {OK} --fix c_rate", ["NAME=VALUE"], None),
    ("doe-space-missing", f"doe sobol --n 8 {OK} --space none.toml", ["none.toml"], None),
    ("doe-space-format", f"doe sobol --n 8 {OK} --space s.txt", ["s.txt", ".toml"],
     write("s.txt", "")),
    ("doe-space-toml", f"doe sobol --n 8 {OK} --space s.toml", ["s.toml", "TOML"],
     write("s.toml", "[parameters\n")),
    ("doe-space-folder", f"doe sobol --n 8 {OK} --space sub.toml", ["sub.toml", "folder"],
     folder("sub.toml")),
    ("doe-space-key", f"doe sobol --n 8 {OK} --space s.toml", ["s.toml", "colour"],
     write("s.toml", "colour = 1\n")),
    ("doe-space-reversed", f"doe sobol --n 8 {OK} --space s.toml", ["s.toml", "cr_pct"],
     write("s.toml", "[parameters.cr_pct]\nlow = 40.0\nhigh = 10.0\n")),
    ("doe-slurry-multiple", "doe slurry-major --n 10 --slurries 3 --out d.csv",
     ["multiple"], None),
    ("doe-slurry-missing", "doe slurry-major --n 10 --out d.csv", ["--slurries"], None),
    ("doe-slurries-elsewhere", f"doe sobol --n 8 --slurries 2 {OK}", ["--slurries"], None),
    ("doe-first-order", f"doe lhs --n 8 --first-order-only {OK}", ["--first-order-only"], None),
    # -- data check -----------------------------------------------------------------------
    ("data-missing", "data check none.csv", ["none.csv"], None),
    ("data-folder", "data check sub.csv", ["sub.csv", "folder"], folder("sub.csv")),
    ("data-format", "data check t.txt", ["t.txt", ".csv"], write("t.txt", "a\n1\n")),
    ("data-parquet-garbage", "data check t.parquet", ["t.parquet"],
     write_bytes("t.parquet", b"not parquet at all")),
    ("data-empty-csv", "data check t.csv", ["t.csv"], write("t.csv", "")),
    ("data-nan", "data check t.csv", ["t.csv", "row 1", "cr_pct"],
     table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [float("nan")],
                     "c_rate": [1.0]})),
    ("data-text", "data check t.csv", ["t.csv", "cr_pct"],
     table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": ["ten"],
                     "c_rate": [1.0]})),
    ("data-missing-column", "data check t.csv", ["t.csv", "cr_pct"],
     table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "c_rate": [1.0]})),
    ("data-outside", "data check t.csv", ["t.csv", "am_wt_pct"],
     table("t.csv", {"am_wt_pct": [99.5], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                     "c_rate": [1.0]})),
    ("data-duplicates", "data check t.csv", ["t.csv", "row 2"],
     table("t.csv", {"am_wt_pct": [90.0, 90.0], "sc_wt_pct": [60.0, 60.0],
                     "cr_pct": [10.0, 10.0], "c_rate": [1.0, 1.0]})),
    ("data-out-is-input", "data check design.csv --out design.csv", ["design.csv", "input"],
     None),
    ("data-out-is-input-dotted", "data check design.csv --out ./design.csv",
     ["design.csv", "input"], None),
    ("data-out-folder", "data check design.csv --out sub", ["sub", "folder"], folder("sub")),
    ("data-out-format", "data check design.csv --out o.xlsx", ["o.xlsx"], None),
    ("data-out-readonly", "data check design.csv --drop-invalid --out ro/o.csv",
     ["read-only"], folder("ro", 0o555)),
    ("data-property-missing", "data check design.csv --properties porosity", ["porosity"],
     None),
    ("data-bad-unit", "data check t.csv", ["t.csv", "cr_pct"],
     both(table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                          "c_rate": [1.0]}),
          write("t.csv.meta.json", '{"units": {"cr_pct": "furlongs"}}'))),
    # -- line -----------------------------------------------------------------------------
    ("line-design-missing", "line run none.csv --out p.csv", ["none.csv"], None),
    ("line-design-folder", "line run sub.csv --out p.csv", ["sub.csv", "folder"],
     folder("sub.csv")),
    ("line-out-format", "line run design.csv --out p.txt", ["p.txt"], None),
    ("line-out-is-design", "line run design.csv --out design.csv", ["design.csv", "input"],
     None),
    ("line-grid-zero", "line run design.csv --out p.csv --grid 0", ["--grid"], None),
    ("line-workers-negative", "line run design.csv --out p.csv --workers -1", ["--workers"],
     None),
    ("line-frames-file", "line run design.csv --out p.csv --frames-dir model.json",
     ["model.json", "--frames-dir"], None),
    ("line-cache-file", "line run design.csv --out p.csv --cache-dir model.json",
     ["model.json", "--cache-dir"], None),
    ("line-design-outside", "line run t.csv --out p.csv", ["t.csv", "am_wt_pct"],
     table("t.csv", {"am_wt_pct": [99.5], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                     "c_rate": [1.0]})),
    ("line-frames-design-missing", "line frames none.csv --out f", ["none.csv"], None),
    ("line-frames-out-file", "line frames design.csv --out model.json",
     ["model.json", "--out", "file"], None),
    ("line-frames-out-other-files", "line frames design.csv --out f", ["f", "other files"],
     write("f/notes.txt", "mine")),
    ("train-frames-missing", "surrogate train calendering none --out m.safetensors",
     ["none", "manifest"], None),
    ("train-out-format", "surrogate train calendering f --out m.pt", ["m.pt", ".safetensors"],
     write("f/manifest.json", '{"format": "electroforge-calendering-frames", "series": []}')),
    ("train-frames-bad-entry", "surrogate train calendering f --out m.safetensors",
     ["manifest.json", "malformed"],
     write("f/manifest.json", '{"format": "electroforge-calendering-frames", "series": '
           '[{"file": "../x.npz", "n_frames": 2, "voxel_um": 0.5, "cr_pct": 10}]}')),
    ("line-frames-design-outside", "line frames t.csv --out f", ["t.csv", "am_wt_pct"],
     table("t.csv", {"am_wt_pct": [99.5], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                     "c_rate": [1.0]})),
    ("line-validate-out-folder", "line validate --out sub", ["sub", "folder"], folder("sub")),
    ("line-validate-grid", "line validate --grid abc", ["abc"], None),
    # -- fit ------------------------------------------------------------------------------
    ("fit-data-missing", "fit none.parquet --out m.json", ["none.parquet"], None),
    ("fit-data-format", "fit model.json --out m.json", ["model.json", ".csv"], None),
    ("fit-out-format", "fit props.parquet --out m.txt", ["m.txt", ".json"], None),
    ("fit-out-folder", "fit props.parquet --out sub.json", ["sub.json", "folder"],
     folder("sub.json")),
    ("fit-out-readonly", "fit props.parquet --out ro/m.json", ["read-only"],
     folder("ro", 0o555)),
    ("fit-out-parent-file", "fit props.parquet --out design.csv/m.json", ["design.csv"], None),
    ("fit-out-readonly-file", "fit props.parquet --out m.json", ["m.json", "read-only"],
     read_only_file("m.json")),
    ("fit-validation-folder", "fit props.parquet --out m.json", ["m.validation.json"],
     folder("m.validation.json")),
    ("fit-backend", "fit props.parquet --out m.json --backend magic", ["invalid choice"], None),
    ("fit-max-terms", "fit props.parquet --out m.json --max-terms 0", ["--max-terms"], None),
    ("fit-resplits", "fit props.parquet --out m.json --resplits 0", ["--resplits"], None),
    ("fit-property-unknown", "fit props.parquet --out m.json --properties nope", ["nope"],
     None),
    ("fit-plot-format", "fit props.parquet --out m.json --plot p.jpg", ["p.jpg"], None),
    ("fit-no-property", "fit design.csv --out m.json", ["design.csv", "property"], None),
    ("fit-nan-property", "fit t.csv --out m.json", ["t.csv", "density_g_cm3"],
     table("t.csv", {"am_wt_pct": [90.0, 91.0], "sc_wt_pct": [60.0, 61.0],
                     "cr_pct": [10.0, 11.0], "c_rate": [1.0, 1.0],
                     "density_g_cm3": [2.0, float("nan")]})),
    # -- optimize -------------------------------------------------------------------------
    ("opt-model-missing", "optimize none.json", ["none.json"], None),
    ("opt-model-folder", "optimize sub.json", ["sub.json", "folder"], folder("sub.json")),
    ("opt-model-not-json", "optimize m.json", ["m.json"], write("m.json", "{not json")),
    ("opt-model-list", "optimize m.json", ["m.json"], write("m.json", "[1, 2]")),
    ("opt-model-empty", "optimize m.json", ["m.json"], write("m.json", "")),
    ("opt-model-binary", "optimize m.json", ["m.json"], write_bytes("m.json", b"\xff\xfe\x00")),
    ("opt-model-format", "optimize edited.json", ["edited.json", "format"],
     edited_model(lambda d: d.update(format="nope"))),
    ("opt-model-no-models", "optimize edited.json", ["edited.json", "models"],
     edited_model(lambda d: d.pop("models"))),
    ("opt-model-nan", "optimize edited.json", ["edited.json"], edited_model(_nan_coefficient)),
    ("opt-model-injection", "optimize edited.json", ["edited.json", "srepr"],
     edited_model(_srepr_injection)),
    ("opt-model-bad-tree", "optimize edited.json", ["edited.json", "system"],
     edited_model(_bad_tree)),
    ("opt-model-version", "optimize edited.json", ["edited.json", "format_version"],
     edited_model(lambda d: d.update(format_version=99))),
    ("opt-model-bounds-nan", "optimize edited.json", ["edited.json", "cr_pct"],
     edited_model(lambda d: d["training_bounds"].update(cr_pct=[0.0, None]))),
    ("opt-objective-missing", "optimize model.json --objective none.toml", ["none.toml"],
     None),
    ("opt-objective-format", "optimize model.json --objective o.json", ["o.json", ".toml"],
     write("o.json", "{}")),
    ("opt-objective-toml", "optimize model.json --objective o.toml", ["o.toml", "TOML"],
     write("o.toml", "[[targets]\n")),
    ("opt-objective-unknown-target", "optimize model.json --objective o.toml",
     ["o.toml", "nope"], write("o.toml", '[[targets]]\nname = "nope"\ndirection = "max"\n')),
    ("opt-objective-direction", "optimize model.json --objective o.toml", ["o.toml", "up"],
     write("o.toml", '[[targets]]\nname = "density_g_cm3"\ndirection = "up"\n')),
    ("opt-objective-weight", "optimize model.json --objective o.toml", ["o.toml", "weight"],
     write("o.toml", '[[targets]]\nname = "density_g_cm3"\ndirection = "max"\n'
           'weight = -1.0\n')),
    ("opt-objective-injection", "optimize model.json --objective o.toml", ["o.toml"],
     write("o.toml", f'constraints = ["{INJECTION}"]\n' + OBJECTIVE_TAIL)),
    ("opt-objective-bound-text", "optimize model.json --objective o.toml", ["o.toml", "lots"],
     write("o.toml", 'constraints = ["density_g_cm3 >= lots"]\n' + OBJECTIVE_TAIL)),
    ("opt-objective-key", "optimize model.json --objective o.toml", ["o.toml", "colour"],
     write("o.toml", 'colour = "red"\n' + OBJECTIVE_TAIL)),
    ("opt-objective-scalarization", "optimize model.json --objective o.toml",
     ["o.toml", "magic"], write("o.toml", 'scalarization = "magic"\n' + OBJECTIVE_TAIL)),
    ("opt-out-file", "optimize model.json --out design.csv", ["design.csv", "file"], None),
    ("opt-out-readonly", "optimize model.json --out ro", ["ro", "read-only"],
     folder("ro", 0o555)),
    ("opt-out-result-folder", "optimize model.json --out o", ["result.json", "folder"],
     folder("o/result.json")),
    ("opt-out-is-model", "optimize model.json --out model.json", ["model.json"], None),
    ("opt-iterations-zero", "optimize model.json --iterations 0", ["--iterations"], None),
    ("opt-initial-more", "optimize model.json --iterations 6 --initial 9", ["--initial"], None),
    ("opt-batch-zero", "optimize model.json --batch-size 0", ["--batch-size"], None),
    ("opt-seed-text", "optimize model.json --seed x", ["--seed"], None),
    ("opt-fix-nan", "optimize model.json --fix cr_pct=nan --iterations 6", ["cr_pct"], None),
    ("opt-bounds-unknown", "optimize model.json --bounds x=1:2", ["x"], None),
    # -- sensitivity ----------------------------------------------------------------------
    ("sens-n-zero", "sensitivity model.json --n 0", ["--n"], None),
    ("sens-n-text", "sensitivity model.json --n many", ["many"], None),
    ("sens-model-missing", "sensitivity none.json --n 8", ["none.json"], None),
    ("sens-out-file", "sensitivity model.json --n 8 --out design.csv", ["design.csv"], None),
    ("sens-objective-bad", "sensitivity model.json --n 8 --objective o.toml", ["o.toml"],
     write("o.toml", "targets = 3\n")),
    ("sens-model-injection", "sensitivity edited.json --n 8", ["edited.json"],
     edited_model(_srepr_injection)),
    # -- campaign create ------------------------------------------------------------------
    ("create-missing", "campaign create none.toml", ["none.toml"], None),
    ("create-format", "campaign create c.txt", ["c.txt", ".toml"], write("c.txt", C)),
    ("create-folder", "campaign create sub.toml", ["sub.toml", "folder"], folder("sub.toml")),
    ("create-toml", "campaign create c.toml", ["c.toml", "TOML"], campaign_file("name = \n")),
    ("create-no-name", "campaign create c.toml", ["c.toml", "name"],
     campaign_file("budget = 4\n")),
    ("create-no-budget", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\n')),
    ("create-budget-zero", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\nbudget = 0\n' + SURROGATE)),
    ("create-budget-text", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\nbudget = "ten"\n' + SURROGATE)),
    ("create-budget-float", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\nbudget = 2.5\n' + SURROGATE)),
    ("create-budget-bool", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\nbudget = true\n' + SURROGATE)),
    ("create-batch", "campaign create c.toml", ["c.toml", "batch_size"],
     campaign_file(C + "batch_size = 9\n" + SURROGATE)),
    ("create-seed", "campaign create c.toml", ["c.toml", "seed"],
     campaign_file(C + "seed = -1\n" + SURROGATE)),
    ("create-iterations", "campaign create c.toml", ["c.toml", "iterations"],
     campaign_file(C + "iterations = 0\n" + SURROGATE)),
    ("create-key", "campaign create c.toml", ["c.toml", "colour"],
     campaign_file(C + 'colour = "red"\n' + SURROGATE)),
    ("create-name-space", "campaign create c.toml", ["c.toml", "name"],
     campaign_file('name = "a b"\nbudget = 4\n' + SURROGATE)),
    ("create-name-path", "campaign create c.toml", ["c.toml", "name"],
     campaign_file('name = "../escape"\nbudget = 4\n' + SURROGATE)),
    ("create-exists", "campaign create c.toml", ["electroforge.db", "c1", "exists"],
     campaign_file('name = "c1"\nbudget = 4\n' + SURROGATE)),
    ("create-injection-space", "campaign create c.toml", ["c.toml", "constraint"],
     campaign_file(C + f'[space]\nconstraints = ["{INJECTION}"]\n' + SURROGATE)),
    ("create-injection-objective", "campaign create c.toml", ["c.toml"],
     campaign_file(C + f'[objective]\nconstraints = ["{INJECTION}"]\n' + SURROGATE)),
    ("create-nonlinear", "campaign create c.toml", ["c.toml", "linear"],
     campaign_file(C + '[space]\nconstraints = ["am_wt_pct * cr_pct <= 3000"]\n' + SURROGATE)),
    ("create-constraint-unknown", "campaign create c.toml", ["c.toml", "porosity"],
     campaign_file(C + '[space]\nconstraints = ["porosity + cr_pct <= 3"]\n' + SURROGATE)),
    ("create-constraint-form", "campaign create c.toml", ["c.toml", "constraint"],
     campaign_file(C + '[space]\nconstraints = ["cr_pct = 3"]\n' + SURROGATE)),
    ("create-constraint-huge", "campaign create c.toml", ["c.toml", "constraint"],
     campaign_file(C + '[space]\nconstraints = ["cr_pct <= 1e999"]\n' + SURROGATE)),
    ("create-constraint-not-list", "campaign create c.toml", ["c.toml", "constraints"],
     campaign_file(C + '[space]\nconstraints = "cr_pct <= 30"\n' + SURROGATE)),
    ("create-constraint-empty", "campaign create c.toml", ["c.toml", "constraint"],
     campaign_file(C + '[space]\nconstraints = [""]\n' + SURROGATE)),
    ("create-constraint-infeasible", "campaign create c.toml", ["c.toml", "cr_pct"],
     campaign_file(C + '[space]\nconstraints = ["cr_pct >= 80"]\n' + SURROGATE)),
    ("create-cron-never", "campaign create c.toml", ["c.toml", "schedule", "never fires"],
     campaign_file(C + 'schedule = "0 0 31 2 *"\n' + SURROGATE)),
    ("create-cron-seven", "campaign create c.toml", ["c.toml", "schedule", "five"],
     campaign_file(C + 'schedule = "0 0 * * 1 2020 1"\n' + SURROGATE)),
    ("create-cron-six", "campaign create c.toml", ["c.toml", "schedule", "five"],
     campaign_file(C + 'schedule = "0 0 6 * * 1"\n' + SURROGATE)),
    ("create-cron-macro", "campaign create c.toml", ["c.toml", "schedule"],
     campaign_file(C + 'schedule = "@daily"\n' + SURROGATE)),
    ("create-cron-range", "campaign create c.toml", ["c.toml", "schedule"],
     campaign_file(C + 'schedule = "61 * * * *"\n' + SURROGATE)),
    ("create-cron-number", "campaign create c.toml", ["c.toml", "schedule"],
     campaign_file(C + "schedule = 5\n" + SURROGATE)),
    ("create-evaluator", "campaign create c.toml", ["c.toml", "evaluator", "oracle"],
     campaign_file(C + '[evaluator]\nkind = "oracle"\n')),
    ("create-no-model", "campaign create c.toml", ["c.toml", "model"],
     campaign_file(C + '[evaluator]\nkind = "surrogate"\n')),
    ("create-model-missing", "campaign create c.toml", ["c.toml", "model"],
     campaign_file(C + '[evaluator]\nmodel = "none.json"\n')),
    ("create-model-nan", "campaign create c.toml", ["edited.json"],
     both(edited_model(_nan_coefficient),
          campaign_file(C + '[evaluator]\nmodel = "edited.json"\n'))),
    ("create-model-injection", "campaign create c.toml", ["edited.json", "srepr"],
     both(edited_model(_srepr_injection),
          campaign_file(C + '[evaluator]\nmodel = "edited.json"\n'))),
    ("create-optimizer-key", "campaign create c.toml", ["c.toml", "optimizer"],
     campaign_file(C + SURROGATE + "[optimizer]\nspeed = 3\n")),
    ("create-optimizer-value", "campaign create c.toml", ["c.toml", "eta"],
     campaign_file(C + SURROGATE + "[optimizer]\neta = -1.0\n")),
    ("create-bounds-pair", "campaign create c.toml", ["c.toml", "cr_pct"],
     campaign_file(C + "[space]\nbounds = { cr_pct = [5.0] }\n" + SURROGATE)),
    ("create-fix-outside", "campaign create c.toml", ["c.toml", "c_rate"],
     campaign_file(C + "[space]\nfix = { c_rate = 99.0 }\n" + SURROGATE)),
    ("create-space-file", "campaign create c.toml", ["none.toml"],
     campaign_file(C + '[space]\nfile = "none.toml"\n' + SURROGATE)),
    ("create-objective-file", "campaign create c.toml", ["none.toml"],
     campaign_file(C + '[objective]\nfile = "none.toml"\n' + SURROGATE)),
    ("create-objective-both", "campaign create c.toml", ["c.toml", "objective"],
     campaign_file(C + '[objective]\nfile = "objective.toml"\nscalarization = "reference"\n'
                   + SURROGATE)),
    ("create-unpredicted", "campaign create c.toml --workspace fresh", ["c.toml", "porosity"],
     campaign_file(C + '[objective]\n[[objective.targets]]\nname = "porosity"\n'
                   'direction = "max"\n' + SURROGATE)),
    ("create-grid", "campaign create c.toml", ["c.toml", "grid"],
     campaign_file(C + '[evaluator]\nkind = "line"\ngrid = 2\n')),
    ("create-space-table", "campaign create c.toml", ["c.toml", "space"],
     campaign_file(C + 'space = "big"\n' + SURROGATE)),
    ("create-workspace-file", "campaign create campaign.toml --workspace design.csv",
     ["design.csv", "folder"], None),
    ("create-workspace-readonly", "campaign create campaign.toml --workspace ro",
     ["ro", "read-only"], folder("ro", 0o555)),
    ("create-workspace-readonly-parent", "campaign create campaign.toml --workspace ro/ws",
     ["read-only"], folder("ro", 0o555)),
    # -- the store ------------------------------------------------------------------------
    ("store-zero-bytes", "campaign status c1", ["electroforge.db", "empty"], store_bytes()),
    ("store-not-sqlite", "campaign status c1", ["electroforge.db", "not an SQLite"],
     store_bytes(b"hello, this is not a database" * 40)),
    ("store-foreign", "campaign status c1", ["electroforge.db", "not an electroforge"],
     foreign_sqlite),
    ("store-pages-corrupt", "campaign status c1", ["electroforge.db"], store_bytes(at=4096)),
    ("store-corrupt-ask", "campaign ask c1", ["electroforge.db"], store_bytes(at=4096)),
    ("store-corrupt-check", "campaign status --check", ["electroforge.db"],
     store_bytes(at=4096)),
    ("store-zero-check", "campaign status c1 --check", ["electroforge.db", "empty"],
     store_bytes()),
    ("store-is-folder", "campaign status c1 --workspace ws2", ["electroforge.db", "folder"],
     folder("ws2/electroforge.db")),
    ("store-zero-run-due", "campaign run-due", ["electroforge.db", "empty"], store_bytes()),
    ("store-zero-create", "campaign create campaign.toml", ["electroforge.db", "empty"],
     store_bytes()),
    ("locks-readonly", "campaign ask c1", ["locks", "read-only"],
     folder("electroforge-workspace/locks", 0o555)),
    ("locks-file", "campaign ask c1", ["locks"], locks_file),
    # -- campaign ask ---------------------------------------------------------------------
    ("ask-unknown", "campaign ask nope", ["nope", "no such campaign"], None),
    ("ask-n-zero", "campaign ask c1 --n 0", ["--n"], None),
    ("ask-n-budget", "campaign ask c1 --n 9", ["--n", "budget"], None),
    ("ask-out-format", "campaign ask c1 --n 2 --out sheet.txt", ["sheet.txt", "unsupported"],
     None),
    ("ask-out-folder", "campaign ask c1 --n 2 --out sub", ["sub", "folder"], folder("sub")),
    ("ask-out-readonly", "campaign ask c1 --n 2 --out ro/s.csv", ["read-only"],
     folder("ro", 0o555)),
    ("ask-out-readonly-file", "campaign ask c1 --n 2 --out s.csv", ["s.csv", "read-only"],
     read_only_file("s.csv")),
    ("ask-out-is-model", "campaign ask c1 --out model.json", ["model.json"], None),
    ("ask-no-workspace", "campaign ask c1 --workspace none", ["none", "no campaign store"],
     None),
    ("ask-workspace-file", "campaign ask c1 --workspace design.csv", ["design.csv", "folder"],
     None),
    ("ask-folder-readonly", "campaign ask c1", ["read-only"],
     folder("electroforge-workspace/c1", 0o555)),
    ("ask-model-gone", "campaign ask c1", ["model.json"],
     remove("electroforge-workspace/model.json")),
    # -- campaign tell --------------------------------------------------------------------
    ("tell-missing", "campaign tell lab none.csv", ["none.csv"], None),
    ("tell-folder", "campaign tell lab sub.csv", ["sub.csv", "folder"], folder("sub.csv")),
    ("tell-format", "campaign tell lab r.txt", ["r.txt", ".csv"], write("r.txt", "")),
    ("tell-unknown-campaign", "campaign tell nope lab-results.csv", ["nope"], None),
    ("tell-unknown-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id", "99"],
     lab_sheet(proposal_id=[99, 4])),
    ("tell-fractional-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id", "3.5"],
     lab_sheet(proposal_id=[3.5, 4])),
    ("tell-text-id", "campaign tell lab r.csv", ["r.csv", "row 2", "proposal_id", "four"],
     lab_sheet(proposal_id=["3", "four"])),
    ("tell-zero-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id"],
     lab_sheet(proposal_id=[0, 4])),
    ("tell-negative-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id"],
     lab_sheet(proposal_id=[-3, 4])),
    ("tell-duplicate-id", "campaign tell lab r.csv", ["r.csv", "row 2", "proposal_id"],
     lab_sheet(rows=[0, 0])),
    ("tell-other-campaign-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id"],
     lab_sheet(proposal_id=[2, 4])),
    ("tell-already-told", "campaign tell c1 r.csv", ["r.csv", "already told"],
     c1_sheet(proposal_id=[1])),
    ("tell-nan", "campaign tell lab r.csv", ["r.csv", "row 2", "density_g_cm3"],
     lab_sheet(density_g_cm3=[2.0, float("nan")])),
    ("tell-inf", "campaign tell lab r.csv", ["r.csv", "row 1", "conductivity_s_m"],
     lab_sheet(conductivity_s_m=[float("inf"), 3.0])),
    ("tell-text", "campaign tell lab r.csv", ["r.csv", "row 1", "density_g_cm3", "dense"],
     lab_sheet(density_g_cm3=["dense", 2.0])),
    ("tell-tortuosity-below-one", "campaign tell lab r.csv",
     ["r.csv", "row 1", "tortuosity_factor", ">= 1"], lab_sheet(tortuosity_factor=[-2.0, 2.0])),
    ("tell-density-negative", "campaign tell lab r.csv", ["r.csv", "row 2", "density_g_cm3"],
     lab_sheet(density_g_cm3=[2.0, -0.5])),
    ("tell-density-zero", "campaign tell lab r.csv", ["r.csv", "row 1", "density_g_cm3", "0 <"],
     lab_sheet(density_g_cm3=[0.0, 2.0])),
    ("tell-conductivity-negative", "campaign tell lab r.csv", ["row 1", "conductivity_s_m"],
     lab_sheet(conductivity_s_m=[-1.0, 2.0])),
    ("tell-surface-over-100", "campaign tell lab r.csv", ["row 1", "active_surface_pct", "100"],
     lab_sheet(active_surface_pct=[150.0, 30.0])),
    ("tell-porosity-extra", "campaign tell lab r.csv", ["row 1", "porosity"],
     lab_sheet(porosity=[1.5, 0.3])),
    ("tell-missing-property", "campaign tell lab r.csv", ["r.csv", "density_g_cm3", "missing"],
     table("r.csv", {"proposal_id": [3], "am_wt_pct": [90.0], "sc_wt_pct": [60.0],
                     "cr_pct": [10.0]})),
    ("tell-missing-recipe", "campaign tell lab r.csv", ["r.csv", "cr_pct", "missing"],
     table("r.csv", {"proposal_id": [3], "am_wt_pct": [90.0], "sc_wt_pct": [60.0],
                     "density_g_cm3": [2.0], "tortuosity_factor": [2.0],
                     "conductivity_s_m": [2.0], "active_surface_pct": [30.0]})),
    ("tell-outside", "campaign tell lab r.csv", ["r.csv", "row 1", "am_wt_pct"],
     lab_sheet(am_wt_pct=[99.0, 90.0])),
    ("tell-differs", "campaign tell lab r.csv", ["r.csv", "row 2", "cr_pct", "differs"],
     lab_cell(1, "cr_pct", 1.234)),
    ("tell-not-proposed", "campaign tell lab r.csv", ["r.csv", "row 1", "not a pending"],
     lab_sheet(proposal_id=[None, None], cr_pct=[7.7, 8.8])),
    ("tell-fixed-rate", "campaign tell lab r.csv", ["r.csv", "row 1", "c_rate", "fixed"],
     lab_sheet(c_rate=[2.0, 1.0])),
    ("tell-fixed-rate-text", "campaign tell lab r.csv", ["r.csv", "row 2", "c_rate"],
     lab_sheet(c_rate=[1.0, "fast"])),
    ("tell-empty", "campaign tell lab r.csv", ["r.csv", "no rows"], lab_sheet(rows=[])),
    ("tell-garbage-parquet", "campaign tell lab r.parquet", ["r.parquet"],
     write_bytes("r.parquet", b"PAR1 but not really")),
    ("tell-bool-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id"],
     lab_sheet(proposal_id=[True, 4])),
    # -- campaign run / run-due / scheduler -----------------------------------------------
    ("run-lab", "campaign run lab", ["lab", "ask and tell"], None),
    ("run-iterations-zero", "campaign run c1 --iterations 0", ["--iterations"], None),
    ("run-unknown", "campaign run nope", ["nope"], None),
    ("run-model-gone", "campaign run c1", ["model.json"],
     remove("electroforge-workspace/model.json")),
    ("run-due-no-workspace", "campaign run-due --workspace none", ["none"], None),
    ("scheduler-interval-nan", "scheduler --interval nan --cycles 1", ["--interval", "nan"],
     None),
    ("scheduler-interval-negative", "scheduler --interval -5 --cycles 1", ["--interval"], None),
    ("scheduler-interval-inf", "scheduler --interval inf --cycles 1", ["--interval"], None),
    ("scheduler-cycles-zero", "scheduler --cycles 0", ["--cycles"], None),
    # -- campaign status / report / export ------------------------------------------------
    ("status-unknown", "campaign status nope", ["nope", "no such campaign"], None),
    ("status-no-name", "campaign status", ["campaign"], None),
    ("status-no-workspace", "campaign status c1 --workspace none", ["none"], None),
    ("report-out-file", "campaign report c1 --out design.csv", ["design.csv", "file"], None),
    ("report-out-readonly", "campaign report c1 --out ro", ["ro", "read-only"],
     folder("ro", 0o555)),
    ("report-n-zero", "campaign report c1 --sensitivity-n 0", ["--sensitivity-n"], None),
    ("report-nothing-measured", "campaign report lab", ["lab", "nothing measured"], None),
    ("report-unknown", "campaign report nope", ["nope"], None),
    ("export-format", "campaign export c1 --out e.txt", ["e.txt", "unsupported"], None),
    ("export-folder", "campaign export c1 --out sub", ["sub", "folder"], folder("sub")),
    ("export-readonly", "campaign export c1 --out ro/e.csv", ["read-only"],
     folder("ro", 0o555)),
    ("export-no-out", "campaign export c1", ["--out"], None),
    ("export-unknown", "campaign export nope --out e.csv", ["nope"], None),
    ("export-readonly-file", "campaign export c1 --out e.csv", ["e.csv", "read-only"],
     read_only_file("e.csv")),
    # -- found by an independent probe ----------------------------------------------------
    ("doe-space-latin1", f"doe sobol --n 8 {OK} --space s.toml", ["s.toml", "UTF-8"],
     write_bytes("s.toml", b'[parameters.cr_pct]\nlow = 5.0\nhigh = 40.0\nunit = "\xb5m"\n')),
    ("create-latin1", "campaign create c.toml", ["c.toml", "UTF-8"],
     write_bytes("c.toml", b'name = "x"\nbudget = 4\n# caf\xe9\n' + SURROGATE.encode())),
    ("create-space-file-number", "campaign create c.toml", ["c.toml", "space.file"],
     campaign_file(C + "[space]\nfile = 5\n" + SURROGATE)),
    ("create-model-list", "campaign create c.toml", ["c.toml", "evaluator.model"],
     campaign_file(C + '[evaluator]\nmodel = ["model.json"]\n')),
    ("create-objective-file-bool", "campaign create c.toml", ["c.toml", "objective.file"],
     campaign_file(C + "[objective]\nfile = true\n" + SURROGATE)),
    ("create-scalarization-list", "campaign create c.toml", ["c.toml", "scalarization"],
     campaign_file(C + '[objective]\nscalarization = ["reference"]\n' + SURROGATE)),
    ("opt-scalarization-table", "optimize model.json --objective o.toml",
     ["o.toml", "scalarization"], write("o.toml", "scalarization = { a = 1 }\n" + OBJECTIVE_TAIL)),
    ("create-name-newline", "campaign create c.toml", ["c.toml", "name"],
     campaign_file('name = "x\\n"\nbudget = 4\n' + SURROGATE)),
    ("create-reserved-parameter", "campaign create c.toml", ["c.toml", "proposal_id"],
     both(write("s.toml", "[parameters.proposal_id]\nlow = 0.0\nhigh = 1.0\n"),
          campaign_file(C + '[space]\nfile = "s.toml"\n[evaluator]\nkind = "lab"\n'))),
    ("create-rate-conflict", "campaign create c.toml", ["c.toml", "c_rate"],
     campaign_file(C + "[space]\nfix = { c_rate = 1.0 }\n[objective.c_rate]\n"
                   'mode = "context"\nvalue = 2.0\n' + SURROGATE)),
    ("create-bounds-unphysical", "campaign create c.toml", ["c.toml", "am_wt_pct", "100"],
     campaign_file(C + "[space]\nbounds = { am_wt_pct = [85.0, 200.0] }\n" + SURROGATE)),
    ("data-units-list", "data check t.csv", ["t.csv", "units"],
     both(table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                          "c_rate": [1.0]}), write("t.csv.meta.json", '{"units": ["x"]}'))),
    ("data-bigint", "data check t.csv", ["t.csv", "row 1", "cr_pct", "too large"],
     write("t.csv", "am_wt_pct,sc_wt_pct,cr_pct,c_rate\n90,60," + "1" * 401 + ",1\n")),
    ("data-bool-column", "data check t.csv", ["t.csv", "row 1", "c_rate", "true/false"],
     table("t.csv", {"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [10.0],
                     "c_rate": [True]})),
    ("data-header-twice", "data check t.csv", ["t.csv", "cr_pct", "twice"],
     write("t.csv", "am_wt_pct,sc_wt_pct,cr_pct,cr_pct,c_rate\n90,60,10,99,1\n")),
    ("data-fifo", "data check f.csv", ["f.csv", "regular file"], fifo("f.csv")),
    ("opt-model-fifo", "optimize f.json", ["f.json", "regular file"], fifo("f.json")),
    ("tell-bigint-id", "campaign tell lab r.csv", ["r.csv", "row 1", "proposal_id"],
     lab_sheet(proposal_id=["9" * 401, "4"])),
    ("doe-space-bigint", f"doe sobol --n 8 {OK} --space s.json", ["s.json", "cr_pct"],
     write("s.json", '{"parameters": [{"name": "cr_pct", "low": 0, "high": 1' + "0" * 400
           + "}]}")),
    ("doe-space-huge-span", f"doe sobol --n 8 {OK} --space s.toml", ["s.toml", "span"],
     write("s.toml", "[parameters.x]\nlow = -1.7e308\nhigh = 1.7e308\n")),
    ("opt-objective-huge-bounds", "optimize model.json --objective o.toml --iterations 6",
     ["o.toml", "span"], write("o.toml", OBJECTIVE_TAIL + "low = -1.7e308\nhigh = 1.7e308\n")),
    ("opt-model-big-number", "optimize edited.json", ["edited.json", "tree"],
     edited_model(_big_tree_number)),
    ("opt-model-hex-overflow", "optimize edited.json", ["edited.json", "0x1p+2000"],
     edited_model(lambda d: _first_model(d).update(coefficients=["0x1p+2000"]))),
    ("opt-model-derived-index", "optimize edited.json", ["edited.json", "derived"],
     edited_model(lambda d: d.update(derived=[["x", 1000000, "0x1p+0", "0x1p+0"]]))),
    ("opt-model-derived-negative", "optimize edited.json", ["edited.json", "derived"],
     edited_model(lambda d: d.update(derived=[["x", -1, "0x1p+0", "0x1p+0"]]))),
    ("opt-model-bounds-reversed", "optimize edited.json", ["edited.json", "cr_pct"],
     edited_model(lambda d: d["training_bounds"].update(cr_pct=[40.0, 5.0]))),
    ("opt-model-names-twice", "optimize edited.json", ["edited.json", "feature_names"],
     edited_model(lambda d: d.update(feature_names=["am_wt_pct", "am_wt_pct", "cr_pct"]))),
    ("opt-model-option-unknown", "optimize edited.json", ["edited.json", "evil"],
     edited_model(lambda d: d.update(options={"evil": 1}))),
    ("opt-model-seed-text", "optimize edited.json", ["edited.json", "seed"],
     edited_model(lambda d: d.update(seed="abc"))),
    ("opt-model-backend-list", "optimize edited.json", ["edited.json", "backend"],
     edited_model(lambda d: d.update(backend=["sisso"]))),
    ("opt-model-version-true", "optimize edited.json", ["edited.json", "format_version"],
     edited_model(lambda d: d.update(format_version=True))),
    ("opt-model-version-float", "optimize edited.json", ["edited.json", "format_version"],
     edited_model(lambda d: d.update(format_version=2.0))),
    ("fit-properties-twice", "fit props.parquet --out m.json --properties density_g_cm3 "
     "density_g_cm3", ["--properties", "twice"], None),
    ("fit-property-parameter", "fit props.parquet --out m.json --properties cr_pct",
     ["--properties", "cr_pct"], None),
    ("fit-max-terms-gp", "fit props.parquet --out m.json --backend gp --max-terms 2",
     ["--max-terms"], None),
    ("line-scheduler-address", "line run design.csv --out p.csv --scheduler 'not a url'",
     ["--scheduler"], None),
    ("store-definition-garbage", "campaign status c1", ["electroforge.db", "definition"],
     store_sql("UPDATE campaigns SET definition = 'garbage' WHERE name = 'c1'")),
    ("store-definition-partial", "campaign ask c1", ["electroforge.db", "definition"],
     store_sql("""UPDATE campaigns SET definition = '{"name": "c1"}' WHERE name = 'c1'""")),
    ("store-recipe-garbage", "campaign export c1 --out e.csv", ["electroforge.db", "proposal"],
     store_sql("UPDATE proposals SET recipe = 'x' WHERE id = 2")),
    ("store-state-garbage", "campaign ask c1", ["electroforge.db", "optimizer state"],
     store_sql("UPDATE optimizer_states SET state = '{}' WHERE campaign = 'c1'")),
    ("store-read-only", "campaign ask c1 --out a.csv", ["electroforge.db", "read-only"],
     chmod("electroforge-workspace/electroforge.db", 0o444)),
    ("workspace-read-only", "campaign ask c1 --out a.csv", ["read-only"],
     chmod("electroforge-workspace", 0o555)),
    ("bounds-unphysical-am", f"doe sobol --n 8 {OK} --bounds am_wt_pct=85:150",
     ["am_wt_pct", "150"], None),
    ("bounds-unphysical-cr", f"doe sobol --n 8 {OK} --bounds cr_pct=-50:50", ["cr_pct", "-50"],
     None),
    ("bounds-unphysical-rate", f"doe sobol --n 8 {OK} --bounds c_rate=0:4", ["c_rate"], None),
    ("fix-unphysical-rate", f"doe sobol --n 8 {OK} --fix c_rate=0", ["c_rate"], None),
    ("empty-workspace", "campaign create campaign.toml --workspace ''", ["--workspace", "empty"],
     None),
    ("empty-out", "optimize model.json --out ''", ["--out", "empty"], None),
    ("empty-space", f"doe sobol --n 8 {OK} --space ''", ["--space", "empty"], None),
    ("empty-plot", f"doe sobol --n 8 {OK} --plot ''", ["--plot", "empty"], None),
    ("empty-ask-out", "campaign ask c1 --out ''", ["--out", "empty"], None),
    ("empty-file", "data check ''", ["file", "empty"], None),
    ("opt-weight-huge", "optimize model.json --objective o.toml", ["o.toml", "weight"],
     write("o.toml", OBJECTIVE_TAIL + "weight = 1e308\n")),
    ("create-budget-huge", "campaign create c.toml", ["c.toml", "budget"],
     campaign_file('name = "x"\nbudget = 1000000000000000000\n' + SURROGATE)),
    ("opt-batch-over-iterations", "optimize model.json --iterations 6 --batch-size 10",
     ["--batch-size"], None),
    # -- found by a second probe (workflows) -----------------------------------------------
    ("model-replaced-inputs", "campaign ask c1 --out a.csv", ["campaign 'c1'", "model"],
     replace_model(["am_wt_pct", "cr_pct"])),
    ("model-replaced-inputs-run", "campaign run c1 --iterations 1", ["campaign 'c1'"],
     replace_model(["am_wt_pct", "cr_pct"])),
    ("model-replaced-inputs-report", "campaign report c1 --sensitivity-n 8", ["campaign 'c1'"],
     replace_model(["am_wt_pct", "cr_pct"])),
    ("model-replaced-outputs", "campaign status c1", ["campaign 'c1'", "model.json",
                                                      "tortuosity_factor"],
     replace_model(["am_wt_pct", "sc_wt_pct", "cr_pct"], ["density_g_cm3"])),
    ("fix-twice", f"doe sobol --n 8 {OK} --fix cr_pct=10 cr_pct=20", ["cr_pct", "twice"], None),
    ("fix-flag-twice", "optimize model.json --fix cr_pct=10 --fix cr_pct=20", ["cr_pct", "twice"],
     None),
    ("bounds-twice", f"doe sobol --n 8 {OK} --bounds cr_pct=0:10 --bounds cr_pct=30:40",
     ["cr_pct", "twice"], None),
    ("bounds-fixed-by-space", f"doe sobol --n 8 {OK} --space s.toml --bounds cr_pct=1:2",
     ["--bounds", "cr_pct", "fixed"],
     write("s.toml", "[parameters.cr_pct]\nfixed = 10.0\n[parameters.am_wt_pct]\nlow = 85.0\n"
           "high = 97.0\n")),
    ("tell-external-budget", "campaign tell lab r.csv --external", ["r.csv", "budget"],
     lab_sheet(proposal_id=[None] * 7, rows=[0] * 7,
               cr_pct=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])),
    ("tell-density-kg-m3", "campaign tell lab r.csv", ["r.csv", "row 1", "density_g_cm3", "10"],
     lab_sheet(density_g_cm3=[2857.0, 2.5])),
    ("ask-out-exists", "campaign ask lab --out lab-results.csv", ["lab-results.csv", "exists"],
     None),
    # -- found by a third probe (a copy of the demo's workspace) ----------------------------
    ("ask-default-sheet-exists", "campaign ask lab", ["ask-002.csv", "exists"],
     write("electroforge-workspace/lab/ask-002.csv", "keep\n")),
    ("report-file-read-only", "campaign report c1 --sensitivity-n 8 --out r",
     ["report.md", "read-only"], both(folder("r"), read_only_file("r/report.md"))),
    ("report-file-folder", "campaign report c1 --sensitivity-n 8 --out r",
     ["report.html", "folder"], folder("r/report.html")),
    ("fit-resplits-huge", "fit props.parquet --out m.json --resplits 1000000000",
     ["--resplits"], None),
    ("scheduler-interval-huge", "scheduler --interval 1e308 --cycles 1", ["--interval"], None),
    ("line-grid-huge", "line run design.csv --out p.csv --grid 100000", ["grid", "512"], None),
    ("store-cost-text", "campaign status c1", ["electroforge.db", "measurement", "cost"],
     store_sql("UPDATE measurements SET cost = 'abc'")),
    ("store-gains-nan", "campaign status c1", ["electroforge.db", "optimizer state"],
     store_sql("UPDATE optimizer_states SET state = json_set(state, '$.gains', 'NaN') "
               "WHERE campaign = 'c1'")),
    ("create-name-store", "campaign create c.toml", ["c.toml", "name", "electroforge.db"],
     campaign_file('name = "electroforge.db"\nbudget = 4\n' + SURROGATE)),
    ("create-name-locks", "campaign create c.toml", ["c.toml", "name", "locks"],
     campaign_file('name = "locks"\nbudget = 4\n' + SURROGATE)),
    ("tell-property-overflow", "campaign tell lab r.csv", ["r.csv", "row 1"],
     lab_sheet(tortuosity_factor=[1e308, 2.0])),
    ("store-table-dropped", "campaign status c1", ["electroforge.db", "unreadable"],
     store_sql("DROP TABLE runs")),
    ("line-workers-huge", "line run design.csv --out p.csv --workers 100000", ["--workers"],
     None),
    ("opt-model-nested-deep", "optimize m.json", ["m.json", "recursion"],
     write("m.json", "[" * 3000 + "]" * 3000)),
    ("ask-out-sidecar-exists", "campaign ask lab --out a.csv", ["a.csv.meta.json", "exists"],
     write("a.csv.meta.json", '{"mine": true}')),
    ("demo-iterations-huge", "demo --iterations 100000", ["--iterations"], None),
    # -- demo -----------------------------------------------------------------------------
    ("demo-iterations", "demo --iterations 0", ["--iterations"], None),
    ("demo-resplits", "demo --resplits abc", ["abc"], None),
    ("demo-workspace-file", "demo --workspace design.csv", ["design.csv", "folder"], None),
    ("demo-workspace-readonly", "demo --workspace ro", ["ro", "read-only"],
     folder("ro", 0o555)),
    ("demo-sensitivity-n", "demo --sensitivity-n -4", ["--sensitivity-n"], None),
]


def test_a_report_of_one_measurement_is_written(workspace_copy, capsys):
    """A flat partial-dependence map (one evaluation) once made the report fail half-way."""
    assert main(["campaign", "report", "c1", "--sensitivity-n", "8"]) == 0, capsys.readouterr()
    assert (workspace_copy / "electroforge-workspace" / "c1" / "report" / "report.html").is_file()


def test_the_suite_is_large_and_its_ids_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 150 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("name, command, fragments, setup", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_cleanly(workspace_copy, capsys, name, command, fragments, setup):
    if setup is not None:
        setup(workspace_copy)
    before = snapshot(workspace_copy)
    try:
        code = main(shlex.split(command))
    except SystemExit as exit_:     # argparse
        code = exit_.code
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("electroforge"), captured.err
    assert "Traceback" not in captured.err + captured.out
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert snapshot(workspace_copy) == before, "the command wrote or recorded something"
    assert not (workspace_copy / "PWNED").exists()
