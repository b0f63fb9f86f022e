"""Scheduled runs: which campaigns are due by their cron expression, and running them.

A campaign is due when its schedule's latest fire time at or before now is later than
its creation and no finished run was recorded for that fire time: running the check
twice, or from cron and the foreground scheduler at once, runs each fire time once (the
campaign lock keeps two runs apart; the second finds the first's record). A surrogate or
line campaign advances (its ``iterations`` per run); a lab campaign gets a dated
recommendation of its best measured recipe.

One broken campaign (a schedule that no longer parses, a model file gone, a failing
evaluator) never stops the others: it is reported on its own line, the rest run, and
:func:`run_due` lists it in ``failed`` (the CLI then exits with status 2).
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


def due_campaigns(store: Store, now: dt.datetime | None = None,
                  failed: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """``(name, fire time)`` of every campaign due at ``now`` (UTC). A campaign whose
    schedule cannot be read is left out, and listed with the reason in ``failed``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    due = []
    for name in store.campaign_names():
        try:
            stamp = _due_stamp(store, name, now)
        except Exception as error:  # noqa: BLE001 - one broken campaign never stops the rest
            if failed is None:
                raise
            failed.append((name, _reason(error)))
            continue
        if stamp is not None:
            due.append((name, stamp))
    return due


def _due_stamp(store: Store, name: str, now: dt.datetime) -> str | None:
    schedule = store.definition(name).get("schedule")
    if not schedule:
        return None
    fire = _fire_time(schedule, now)
    created = dt.datetime.fromisoformat(store.campaign_row(name)["created_at"])
    if fire <= created:
        return None
    stamp = fire.isoformat(timespec="seconds")
    return None if store.scheduled_run_done(name, stamp) else stamp


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if isinstance(error, InputError) else f"{type(error).__name__}: {text}"


def run_due(store: Store, *, now: dt.datetime | None = None,
            say: Callable[[str], None] = print,
            failed: list[str] | None = None) -> list[str]:
    """Run every due campaign once; returns the names run, and appends those that failed
    to ``failed``. A campaign another process is advancing is skipped (it will be due
    again at the next check if that run fails)."""
    ran = []
    broken: list[tuple[str, str]] = []
    for name, stamp in due_campaigns(store, now, broken):
        try:
            recommendation = Campaign(store, name).scheduled_run(stamp)
        except CampaignLockedError as error:
            say(f"{name}: skipped, {error}")
            continue
        except Exception as error:  # noqa: BLE001 - one broken campaign never stops the rest
            broken.append((name, _reason(error)))
            continue
        ran.append(name)
        if recommendation is None and Campaign(store, name).optimizer().stop_reason:
            say(f"{name}: stopped for {stamp} (its stopping rule has fired): nothing evaluated")
            continue
        where = recommendation["path"] if recommendation else "nothing measured yet"
        say(f"{name}: ran for {stamp}; recommendation: {where}")
    for name, reason in broken:
        say(f"{name}: failed, {reason}")
        if failed is not None:
            failed.append(name)
    return ran


def scheduler_loop(store: Store, *, interval_s: float = 60.0, cycles: int | None = None,
                   say: Callable[[str], None] = print) -> None:
    """Check for due campaigns every ``interval_s`` seconds (``cycles`` checks, or until
    interrupted)."""
    done = 0
    say(f"scheduler: checking {store.path} every {interval_s:g} s (Ctrl-C to stop)")
    while cycles is None or done < cycles:
        run_due(store, say=say, failed=[])
        done += 1
        if cycles is not None and done >= cycles:
            break
        try:
            time.sleep(interval_s)
        except KeyboardInterrupt:
            print("scheduler: stopped", file=sys.stderr)
            return
