import pytest

from electroforge.errors import InputError
from electroforge.line import LineParameters
from electroforge.line.particles import composition


def test_defaults_and_replace():
    params = LineParameters()
    assert params.am_density_g_cm3 == 4.7
    # one nanoporosity for density and transport: (1 - 0.27) x 1.9 g/cm3
    assert params.cbd_density_g_cm3 == pytest.approx(0.73 * 1.9)
    assert params.replace(footprint_um=16.0).footprint_um == 16.0
    with pytest.raises(InputError, match="unknown line parameter"):
        params.replace(colour=1)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [({"am_density_g_cm3": float("nan")}, "finite"), ({"footprint_um": -1.0}, "negative"),
     ({"am_median_diameter_um": 20.0}, "between"), ({"bound_solvent_fraction": 1.5}, "[0, 1]"),
     ({"am_unloading_ratio": 0.5}, "unloading"), ({"load_frames": 0}, "frame"),
     ({"am_density_g_cm3": 0.0}, "positive"), ({"cbd_bridge_um": 50.0}, "10 um"),
     ({"discharge_cutoff_v": 4.5}, "discharge_cutoff_v.*OCP window"),
     ({"cbd_nanoporosity": 1.0}, "all pores"), ({"porosity_floor": 1.0}, "all pores"),
     ({"cbd_transport_factor": 2.0}, "[0, 1]")],
)
def test_invalid_constants(changes, fragment):
    with pytest.raises(InputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        LineParameters(**changes)


def test_composition_conserves_mass_and_follows_the_recipe():
    params = LineParameters()
    comp = composition(90.0, 60.0, params)
    solids_g = params.areal_loading_mg_cm2 * 1e-3 * params.footprint_um**2 * 1e-8
    assert comp.am_mass_g + comp.cbd_mass_g == pytest.approx(solids_g, rel=1e-12)
    assert comp.am_mass_g / solids_g == pytest.approx(0.90)
    assert comp.am_volume_um3 == pytest.approx(comp.am_mass_g / 4.7 * 1e12)
    # SC = solids / (solids + solvent) = 60 %
    solvent_g = comp.solvent_volume_um3 * 1e-12 * params.solvent_density_g_cm3
    assert solids_g / (solids_g + solvent_g) == pytest.approx(0.60)


@pytest.mark.parametrize(("am", "sc"), [(0.0, 60.0), (100.0, 60.0), (90.0, 0.0), (90.0, 120.0)])
def test_impossible_formulations(am, sc):
    with pytest.raises(InputError, match="impossible"):
        composition(am, sc, LineParameters())
