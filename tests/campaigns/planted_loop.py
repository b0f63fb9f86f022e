"""A planted closed-loop problem (tests of electroforge.campaigns.loop).

The density rises linearly with the calendering (2.0 + 0.04 cr) up to cr = 20 % and
falls ten times as steeply beyond: the optimum is 2.8 g/cm3 at cr 20 %. The starting data
stop at cr 18 %, so any equation fitted on them rises to the edge of the trust region
(cr 23 % with the default margin), where the truth is 2.5: the open-loop optimum is an
extrapolation artefact. Run as a script (``python planted_loop.py WORKSPACE KILL_ROUND``)
it advances the campaign and kills itself with SIGKILL when asked to evaluate round
``KILL_ROUND``, after that round's proposals are recorded.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pandas as pd

PEAK_CR_PCT = 20.0


def true_density(cr_pct):
    cr = np.asarray(cr_pct, dtype=float)
    return np.where(cr <= PEAK_CR_PCT, 2.0 + 0.04 * cr, 2.8 - 0.1 * (cr - PEAK_CR_PCT))


class PlantedEvaluator:
    kind = "line"

    def __init__(self, kill_at_call: int | None = None) -> None:
        self.calls = 0
        self.kill_at_call = kill_at_call

    def evaluate(self, recipes: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        if self.kill_at_call is not None and self.calls == self.kill_at_call:
            os.kill(os.getpid(), signal.SIGKILL)
        table = recipes.reset_index(drop=True)
        return table.assign(density_g_cm3=true_density(table["cr_pct"]))


def write_start_data(path) -> None:
    cr = np.linspace(5.0, 18.0, 16)
    pd.DataFrame({"cr_pct": cr, "density_g_cm3": true_density(cr)}).to_csv(path, index=False)


def definition(data_path, *, name="loop", budget=8, batch_size=2, patience=2):
    from electroforge.campaigns.definition import CampaignDefinition
    from electroforge.campaigns.loop import LoopSettings
    from electroforge.objectives.spec import ObjectiveSpec
    from electroforge.space import default_space

    space = default_space().fix({"am_wt_pct": 95.0, "sc_wt_pct": 65.0, "c_rate": 1.0})
    # scaled over 2-3 g/cm3 (not the data's range, which would make 2.72 the ideal)
    objective = ObjectiveSpec.from_dict({"targets": [{"name": "density_g_cm3",
                                                      "direction": "max", "low": 2.0,
                                                      "high": 3.0}]})
    return CampaignDefinition(
        name=name, budget=budget, batch_size=batch_size, space=space, objective=objective,
        evaluator="line", verify_seeds=0, seed=0,
        loop=LoopSettings(data=str(data_path), max_terms=2, patience=patience,
                          surrogate_calls=12))


def main(workspace: str, kill_round: int) -> None:
    from electroforge.campaigns.campaign import Campaign
    from electroforge.campaigns.store import Store

    store = Store(workspace)
    data = os.path.join(workspace, "start.csv")
    if "loop" not in store.campaign_names():
        write_start_data(data)
        Campaign.create(store, definition(data))
    Campaign(store, "loop", evaluator=PlantedEvaluator(kill_round)).run(
        progress=lambda _: None)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
