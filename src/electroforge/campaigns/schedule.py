"""Scheduled runs: which campaigns are due by their cron expression, and running them.

A campaign is due when its schedule's latest fire time at or before now is later than
its creation and no finished run was recorded for that fire time: running the check
twice, or from cron and the foreground scheduler at once, runs each fire time once (the
campaign lock keeps two runs apart; the second finds the first's record). A surrogate or
line campaign advances (its ``iterations`` per run); a lab campaign gets a dated
recommendation of its best measured recipe.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable

from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.store import CampaignLockedError, Store
from electroforge.errors import InputError

__all__ = ["due_campaigns", "run_due", "scheduler_loop"]


def _fire_time(schedule: str, now: dt.datetime) -> dt.datetime:
    from croniter import croniter

    return croniter(schedule, now + dt.timedelta(seconds=1)).get_prev(dt.datetime)


def due_campaigns(store: Store, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """``(name, fire time)`` of every campaign due at ``now`` (UTC)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    due = []
    for name in store.campaign_names():
        definition = store.definition(name)
        if not definition.get("schedule"):
            continue
        fire = _fire_time(definition["schedule"], now)
        created = dt.datetime.fromisoformat(store.campaign_row(name)["created_at"])
        if fire <= created:
            continue
        stamp = fire.isoformat(timespec="seconds")
        done = store.db.execute("SELECT 1 FROM runs WHERE campaign = ? AND scheduled_for = ? "
                                "AND status = 'done'", (name, stamp)).fetchone()
        if done is None:
            due.append((name, stamp))
    return due


def run_due(store: Store, *, now: dt.datetime | None = None,
            say: Callable[[str], None] = print) -> list[str]:
    """Run every due campaign once; returns the names run. A campaign another process is
    advancing is skipped (it will be due again at the next check if that run fails)."""
    ran = []
    for name, stamp in due_campaigns(store, now):
        campaign = Campaign(store, name)
        try:
            recommendation = campaign.scheduled_run(stamp)
        except CampaignLockedError as error:
            say(f"{name}: skipped, {error}")
            continue
        except InputError as error:
            say(f"{name}: failed, {error}")
            continue
        ran.append(name)
        where = recommendation["path"] if recommendation else "nothing measured yet"
        say(f"{name}: ran for {stamp}; recommendation: {where}")
    return ran


def scheduler_loop(store: Store, *, interval_s: float = 60.0, cycles: int | None = None,
                   say: Callable[[str], None] = print) -> None:
    """Check for due campaigns every ``interval_s`` seconds (``cycles`` checks, or until
    interrupted)."""
    done = 0
    say(f"scheduler: checking {store.path} every {interval_s:g} s (Ctrl-C to stop)")
    while cycles is None or done < cycles:
        run_due(store, say=say)
        done += 1
        if cycles is not None and done >= cycles:
            break
        try:
            time.sleep(interval_s)
        except KeyboardInterrupt:
            print("scheduler: stopped", file=sys.stderr)
            return
