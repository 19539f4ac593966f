"""What a conversion makes of a lead and which fields travel: plain data in,
plain data out."""

# types whose values a field of the other type holds without loss
WIDENING = {
    ("char", "text"),
    ("char", "html"),
    ("text", "html"),
    ("integer", "float"),
    ("integer", "monetary"),
    ("float", "monetary"),
    ("monetary", "float"),
    ("date", "datetime"),
}
NOT_TRAVELLING = {"one2many", "many2one_reference", "properties", "properties_definition"}


def field_fits(source, target):
    """Whether the value of a lead field can go to a partner field. Each side
    is a dict: ``type``, ``comodel`` (relational fields) and ``selection``
    (the keys of a selection field)."""
    if source["type"] in NOT_TRAVELLING or target["type"] in NOT_TRAVELLING:
        return False
    if source["type"] != target["type"]:
        return (source["type"], target["type"]) in WIDENING
    if source["type"] in ("many2one", "many2many"):
        return source.get("comodel") == target.get("comodel")
    if source["type"] == "selection":
        return set(source.get("selection") or ()) <= set(target.get("selection") or ())
    return True


def company_action(market, partner_name, contact_count, relationship):
    """What a lead becomes by default: a B2C lead for a single person a
    person, a lead naming a company (B2B, or with several people, or a
    competitor watched) a company with its contact persons."""
    if not partner_name:
        return "none"
    if market == "b2c" and contact_count <= 1 and relationship != "competitor":
        return "none"
    return "create"
