"""What intake does with a lead whose person or company is already known."""

CHANNELS = ("import", "mail", "web_form", "website_form", "api", "phone")
#: channels where "attach" can post the request on the existing record
ATTACH_CHANNELS = frozenset({"mail", "web_form", "website_form"})
#: doors anyone may knock at: answers and matches there must not reveal the base
PUBLIC_CHANNELS = frozenset({"web_form", "website_form"})
#: keys strong enough to post a public request on an existing record: a
#: company name (or a VAT number) is public knowledge, an address is not
ATTACH_KEYS_PUBLIC = frozenset({"email", "phone"})
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


def public_action(action, channel, key_type):
    """On a public door, a request matched only by a company name or VAT
    number is not attached to the record (anyone could write it onto a
    customer): it becomes a lead flagged as a possible duplicate."""
    if action == "attach" and channel in PUBLIC_CHANNELS and key_type not in ATTACH_KEYS_PUBLIC:
        return "flag"
    return action
