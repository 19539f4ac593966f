"""What the addon's own code tells its overrides, out of any client's reach.

Odoo hands a client's ``context`` to ``call_kw``, XML-RPC, JSON-RPC and most
controllers unchanged, so a context key can neither mark a write as the
addon's own step, nor pick an intake door, nor add mail recipients: whatever
a client sends may add checks, never remove them. The addon's code passes such
facts through :mod:`contextvars` instead: local to the thread or task serving
the call, set only by Python code, and reset when the block ends.

- :func:`internal_write` / :func:`internal_create` / :func:`internal_call`: one call on exactly these
  records, with flags the override takes once (:func:`take_flags`); nested
  calls (an automation rule reacting to the write, say) see none.
- :func:`intake_channel`: the door leads come in by, for the block.
- :func:`scoped`: values for the block (the addresses a reply goes to...).
"""

import contextvars
from contextlib import contextmanager

_PENDING = contextvars.ContextVar("lead_pipeline_pending_call", default=None)
_CHANNEL = contextvars.ContextVar("lead_pipeline_intake_channel", default=None)
_SCOPED = contextvars.ContextVar("lead_pipeline_scoped", default=None)


@contextmanager
def internal_call(records, **flags):
    """The next ``write`` (or, on an empty recordset, ``create``) of exactly
    ``records`` within the block is a step of the addon's own code."""
    holder = {"model": records._name, "ids": frozenset(records._ids), "flags": flags}
    token = _PENDING.set(holder)
    try:
        yield
    finally:
        _PENDING.reset(token)


def internal_write(records, vals, **flags):
    """``records.write(vals)`` as a step of the addon's own code: the
    overrides of ``write`` read ``flags`` through :func:`take_flags`."""
    with internal_call(records, **flags):
        return records.write(vals)


def internal_create(model, vals_list, **flags):
    """``model.create(vals_list)`` as a step of the addon's own code."""
    with internal_call(model.browse(), **flags):
        return model.create(vals_list)


def take_flags(records):
    """The flags of the pending internal call on exactly ``records`` (taken
    once: the first override to ask gets them), else an empty dict."""
    holder = _PENDING.get()
    if (
        holder is None
        or holder.get("taken")
        or holder["model"] != records._name
        or holder["ids"] != frozenset(records._ids)
    ):
        return {}
    holder["taken"] = True
    return holder["flags"]


@contextmanager
def intake_channel(channel):
    """Leads created in the block came in by ``channel`` (``None``: by code)."""
    token = _CHANNEL.set(channel)
    try:
        yield
    finally:
        _CHANNEL.reset(token)


def current_channel():
    return _CHANNEL.get()


@contextmanager
def scoped(**values):
    """Values the addon's code reads further down the same call."""
    token = _SCOPED.set({**(_SCOPED.get() or {}), **values})
    try:
        yield
    finally:
        _SCOPED.reset(token)


def scoped_value(name, default=None):
    return (_SCOPED.get() or {}).get(name, default)
