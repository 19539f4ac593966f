"""Whether a lead may move from one status to another.

The model gathers plain data (ids, names, values) in a few batched reads and
asks these functions; they never touch the database.
"""

from dataclasses import dataclass, field

#: Order of the categories along a pipeline, used to rank statuses
#: ("the most advanced status" when merging leads).
CATEGORY_RANK = {
    "disqualified": 0,
    "new": 1,
    "working": 2,
    "qualified": 3,
    "converted": 4,
}


#: Categories of leads still being worked ("open leads").
OPEN_CATEGORIES = ("new", "working", "qualified")


@dataclass(frozen=True)
class StatusInfo:
    id: int
    name: str
    category: str
    sequence: int = 10
    allowed_next_ids: frozenset = field(default_factory=frozenset)
    required_fields: tuple = ()  # (technical name, label) pairs


def move_allowed(current, target):
    """A move is allowed when the current status lists no allowed moves
    (meaning any) or lists the target; entering a first status is free."""
    if current is None or current.id == target.id:
        return True
    return not current.allowed_next_ids or target.id in current.allowed_next_ids


def missing_required(target, values):
    """Labels of the target's required fields that are empty in ``values``
    (the lead's values once the write is applied)."""
    missing = []
    for fname, label in target.required_fields:
        value = values.get(fname)
        if isinstance(value, str):
            value = value.strip()
        if not value:
            missing.append(label)
    return missing


def rank(status):
    """Sort key: category first, then the admin's order."""
    return (CATEGORY_RANK.get(status.category, 0), status.sequence, status.id)


def most_advanced(statuses):
    statuses = [s for s in statuses if s is not None]
    return max(statuses, key=rank) if statuses else None
