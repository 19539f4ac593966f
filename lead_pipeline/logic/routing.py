"""Who gets the next lead: plain decisions over plain data.

The model gathers members, absences and loads in a few batched queries and
asks these functions; round-robin turns come from a PostgreSQL sequence.
"""

from dataclasses import dataclass
from datetime import datetime, time

import pytz


@dataclass(frozen=True)
class Member:
    user_id: int
    weight: int = 1
    max_open: int = 0  # 0: no limit
    max_daily: int = 0
    paused: bool = False


def resolve_substitute(user_id, substitutes, limit=20):
    """Follow away users to their substitutes (A -> B -> C), never in a cycle.

    ``substitutes`` maps each user away now to their substitute (or None).
    Returns (the user who takes the lead or None, the chain walked).
    """
    chain = [user_id]
    current = user_id
    while current in substitutes:
        current = substitutes[current]
        if current is None or current in chain or len(chain) > limit:
            return None, chain
        chain.append(current)
    return current, chain


def round_robin_slots(members):
    """The cycle of a weighted round-robin: a member of weight 2 has two
    turns per cycle, spread as evenly as the weights allow."""
    slots = []
    remaining = {member.user_id: member.weight for member in members}
    while any(remaining.values()):
        for member in members:
            if remaining[member.user_id] > 0:
                slots.append(member)
                remaining[member.user_id] -= 1
    return slots


def has_room(member, open_count, daily_count):
    if member.max_open and open_count >= member.max_open:
        return False
    return not (member.max_daily and daily_count >= member.max_daily)


def least_loaded(members, loads):
    """Fewest open leads first; ties go to the earlier member in the rule."""
    if not members:
        return None
    return min(enumerate(members), key=lambda pair: (loads.get(pair[1].user_id, 0), pair[0]))[1]


def day_start_utc(now, tz_name):
    """The UTC moment the member's current day began, in their time zone
    (naive UTC datetimes, as Odoo stores them)."""
    try:
        tz = pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        tz = pytz.utc
    local = pytz.utc.localize(now).astimezone(tz)
    midnight = tz.localize(datetime.combine(local.date(), time.min))
    return midnight.astimezone(pytz.utc).replace(tzinfo=None)


def peek_turns(last_value, is_called, count):
    """The turns ``nextval`` would hand out next, without taking them."""
    first = last_value + 1 if is_called else last_value
    return list(range(first, first + count))
