from electroforge.line.validate import Anchor, validate_line, validation_recipes

from helpers import SMALL_GRID, small_line


def test_anchor_verdicts():
    assert Anchor("x", "0.5", 0.4, 0.6, 0.5).within
    far = Anchor("x", "0.5", 0.4, 0.6, 0.9, "because")
    assert not far.within and far.line().endswith("departs  (because)")


def test_report_runs_every_section(tmp_path):
    report = validate_line(grid=SMALL_GRID, workers=0, params=small_line(),
                           cache_dir=tmp_path, progress=False, seeds=2)
    recipes = validation_recipes()
    assert f"{len(recipes)} recipes at grid {SMALL_GRID}" in report
    for section in ("Anchors", "Calendering of the reference slurry", "Bruggeman",
                    "Conductivity vs CBD content", "Discharge of the reference optimum",
                    "porosity falls monotonically with CR: yes", "Meyer et al. 2017",
                    "Pores percolate", "Seed-to-seed spread: 2 particle seeds",
                    "Table 3 is not mass-consistent", "MOBO (96.5, 60.3, 9.11)",
                    "Voxel half-cell against PyBaMM's DFN", "C/50", "refinement 1 -> 0.5 um"):
        assert section in report, section
    assert report.count("within") + report.count("departs") >= 12
    assert "FAILED" not in report
