import math

import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line import nmc111
from electroforge.line.discharge import discharge
from electroforge.line.properties import ionic_tortuosity_factor
from electroforge.line.voxels import AM, CBD, PORE

ELECTRODE = dict(thickness_um=40.0, electrolyte_fraction=0.3, am_fraction=0.5,
                 tortuosity_factor=4.0, conductivity_s_m=1.0, particle_radius_um=4.0,
                 am_density_g_cm3=4.7)


def test_practical_window_of_table_1():
    # F c_max (1 - x0) / rho: the most Table 1's initial lithiation allows
    bound = nmc111.FARADAY_C_MOL * 48207 * (1 - 0.45925) / 4.7e6 / 3.6
    assert bound == pytest.approx(148.7, abs=0.05)
    window = nmc111.practical_capacity_mah_g(3.0, 4.7)
    assert 145.0 <= window < bound
    assert float(nmc111.ocp_v(nmc111.lithiation_at_v(3.0))) == pytest.approx(3.0, abs=1e-9)
    # a higher cutoff leaves part of the window
    assert nmc111.practical_capacity_mah_g(3.5, 4.7) < window


def test_slow_discharge_of_a_thin_slab_delivers_the_practical_window():
    # A thin homogeneous slab with small particles: at C/50 nothing limits but the OCP.
    slab = dict(thickness_um=20.0, electrolyte_fraction=0.4, am_fraction=0.5,
                tortuosity_factor=1.0, conductivity_s_m=10.0, particle_radius_um=1.0,
                am_density_g_cm3=4.7)
    result = discharge(c_rate=0.02, **slab)
    assert result.capacity_mah_g == pytest.approx(result.practical_capacity_mah_g, rel=0.02)
    assert result.voltage_v[-1] == pytest.approx(3.0, abs=1e-3)


def test_pybamm_applies_the_voxel_images_effective_diffusivity():
    # Straight through-plane pore channels beside CBD and AM columns: the effective
    # diffusivity is the parallel sum, D_eff / D = phi_pore + f phi_cbd.
    image = np.full((12, 10, 10), AM, dtype=np.uint8)
    image[:, :, :3] = PORE
    image[:, :, 3:5] = CBD
    f, nano = 0.05, 0.27
    expected = 0.3 * 1.0 + 0.2 * f
    electrolyte = 0.3 + nano * 0.2
    tau = ionic_tortuosity_factor(image, cbd_nanoporosity=nano, cbd_transport_factor=f)
    assert electrolyte / tau == pytest.approx(expected, rel=2e-3)
    result, fields = discharge(
        c_rate=1.0, **(ELECTRODE | {"electrolyte_fraction": electrolyte, "tortuosity_factor": tau}),
        variables=("Positive electrolyte transport efficiency",
                   "Positive electrode transport efficiency"))
    assert np.allclose(fields["Positive electrolyte transport efficiency"], electrolyte / tau,
                       rtol=1e-12)
    # and the electronic conductivity it applies is the image's
    sigma_given = ELECTRODE["conductivity_s_m"] / (1 - electrolyte)
    assert np.allclose(fields["Positive electrode transport efficiency"] * sigma_given,
                       ELECTRODE["conductivity_s_m"], rtol=1e-12)
    assert result.capacity_mah_g > 0


def test_capacity_falls_with_c_rate():
    capacities = [discharge(c_rate=c, **ELECTRODE).capacity_mah_g for c in (0.5, 2.0, 5.0)]
    assert capacities[0] > capacities[1] > capacities[2] > 0


def test_more_tortuous_pores_deliver_less_at_high_rate():
    thick = ELECTRODE | {"thickness_um": 80.0, "particle_radius_um": 1.5}
    easy = discharge(c_rate=3.0, **thick).capacity_mah_g
    hard = discharge(c_rate=3.0, **(thick | {"tortuosity_factor": 12.0})).capacity_mah_g
    assert hard < 0.95 * easy


def test_curve_is_consistent_with_its_figures():
    result = discharge(c_rate=1.0, **ELECTRODE)
    assert np.all(np.diff(result.time_s) > 0)
    assert result.voltage_v[0] > result.voltage_v[-1]
    assert result.capacity_curve_mah_g[-1] == pytest.approx(result.capacity_mah_g)
    assert min(result.voltage_v) <= result.mean_voltage_v <= max(result.voltage_v)
    assert result.energy_wh_kg == pytest.approx(result.capacity_mah_g * result.mean_voltage_v,
                                                rel=1e-9)
    assert result.capacity_mah_g < result.practical_capacity_mah_g
    # 1C is the practical capacity in one hour: the discharge ends before 1 h
    assert result.time_s[-1] < 3600


def test_bad_inputs():
    with pytest.raises(InputError, match="percolate"):
        discharge(c_rate=1.0, **(ELECTRODE | {"tortuosity_factor": math.inf}))
    with pytest.raises(InputError, match="C-rate"):
        discharge(c_rate=0.0, **ELECTRODE)
    with pytest.raises(InputError, match="cutoff"):
        discharge(c_rate=1.0, cutoff_v=4.5, **ELECTRODE)
    with pytest.raises(InputError, match="fractions"):
        discharge(c_rate=1.0, **(ELECTRODE | {"electrolyte_fraction": 1.2}))
