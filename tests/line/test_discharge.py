import math

import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line.discharge import discharge

ELECTRODE = dict(thickness_um=40.0, porosity=0.3, am_fraction=0.5, tortuosity_factor=4.0,
                 conductivity_s_m=1.0, particle_radius_um=4.0, am_density_g_cm3=4.7)


def test_capacity_falls_with_c_rate():
    capacities = [discharge(c_rate=c, **ELECTRODE).capacity_mah_g for c in (0.5, 2.0, 5.0)]
    assert capacities[0] > capacities[1] > capacities[2] > 0


def test_more_tortuous_pores_deliver_less_at_high_rate():
    easy = discharge(c_rate=3.0, **ELECTRODE).capacity_mah_g
    hard = discharge(c_rate=3.0, **(ELECTRODE | {"tortuosity_factor": 12.0})).capacity_mah_g
    assert hard < easy


def test_curve_is_consistent_with_its_figures():
    result = discharge(c_rate=1.0, **ELECTRODE)
    assert np.all(np.diff(result.time_s) > 0)
    assert result.voltage_v[0] > result.voltage_v[-1]
    assert result.capacity_curve_mah_g[-1] == pytest.approx(result.capacity_mah_g)
    assert min(result.voltage_v) <= result.mean_voltage_v <= max(result.voltage_v)
    assert result.energy_wh_kg == pytest.approx(result.capacity_mah_g * result.mean_voltage_v,
                                                rel=1e-9)
    # theoretical capacity of the Xu2019 window: F (c_max - c_0) / rho
    assert result.capacity_mah_g < 96485.33212 * (48230 - 4631) / 4.7e6 / 3.6


def test_bad_inputs():
    with pytest.raises(InputError, match="percolate"):
        discharge(c_rate=1.0, **(ELECTRODE | {"tortuosity_factor": math.inf}))
    with pytest.raises(InputError, match="C-rate"):
        discharge(c_rate=0.0, **ELECTRODE)
