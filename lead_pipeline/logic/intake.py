"""What intake does with a lead whose person or company is already known."""

CHANNELS = ("import", "mail", "web_form", "website_form", "api", "phone")
#: channels where "attach" can post the request on the existing record
ATTACH_CHANNELS = frozenset({"mail", "web_form", "website_form"})
SCOPES = ("customer", "open_lead")
ACTIONS = ("allow", "flag", "reject", "attach")


def default_action(channel, scope):
    """Already a customer: attach where the channel allows it, else reject.
    Already an open lead: flag."""
    if scope == "customer":
        return "attach" if channel in ATTACH_CHANNELS else "reject"
    return "flag"


def decide(policies, type_id, channel, scope):
    """The action for a lead of type ``type_id`` coming through ``channel``
    that matches a record of ``scope``. ``policies`` maps (type id or None,
    channel, scope) to an action; a type's own policy beats the all-types one.
    An "attach" outside the channels that can attach counts as "reject"."""
    action = policies.get((type_id, channel, scope)) or policies.get((None, channel, scope))
    action = action or default_action(channel, scope)
    if action == "attach" and channel not in ATTACH_CHANNELS:
        return "reject"
    return action
