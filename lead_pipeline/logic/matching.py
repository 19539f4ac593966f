"""Normalised keys that recognise the same company or person.

Routing, conversion and intake all match on these keys by exact equality,
never by a fuzzy ``ilike``: a VAT number, an e-mail address, a phone number in
E.164 and a company name without case, accents, punctuation or legal form.
"""

import re
import unicodedata

#: the order in which keys are trusted, strongest first
KEY_ORDER = ("vat", "email", "phone", "name")

#: legal forms removed from company names, as token sequences (after the
#: name is lower-cased, stripped of accents and punctuation)
LEGAL_FORMS = (
    ("sp", "z", "o", "o"),
    ("spolka", "z", "o", "o"),
    ("sp", "j"),
    ("sp", "k"),
    ("s", "r", "o"),
    ("sro",),
    ("sp", "zoo"),
    ("spzoo",),
    ("spol", "s", "r", "o"),
    ("a", "s"),
    ("v", "o", "s"),
    ("k", "s"),
    ("ooo",),
    ("ооо",),
    ("зао",),
    ("оао",),
    ("пао",),
    ("ао",),
    ("ип",),
    ("gmbh",),
    ("gmbh", "co", "kg"),
    ("ag",),
    ("kg",),
    ("ltd",),
    ("limited",),
    ("plc",),
    ("llc",),
    ("inc",),
    ("incorporated",),
    ("corp",),
    ("corporation",),
    ("co",),
    ("company",),
    ("sa",),
    ("s", "a"),
    ("sas",),
    ("sarl",),
    ("srl",),
    ("s", "r", "l"),
    ("spa",),
    ("s", "p", "a"),
    ("bv",),
    ("b", "v"),
    ("nv",),
    ("kft",),
    ("zrt",),
    ("oy",),
    ("ab",),
    ("as",),
    ("aps",),
)
_LEGAL_FORMS_BY_LENGTH = sorted(LEGAL_FORMS, key=len, reverse=True)

#: public mail providers: their domain says nothing about a company
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com",
        "outlook.com", "live.com", "msn.com", "icloud.com", "me.com", "aol.com",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru", "ya.ru",
        "wp.pl", "o2.pl", "onet.pl", "interia.pl", "seznam.cz", "centrum.sk",
        "azet.sk", "zoznam.sk", "post.sk", "protonmail.com", "proton.me",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_NON_ALNUM = re.compile(r"[^0-9A-Z]")


#: letters that carry no combining mark to drop (NFKD leaves them alone)
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"})  # fmt: skip


def _strip_accents(text):
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_vat(vat):
    """Upper case letters and digits only: 'sk 2020/123-456' -> 'SK2020123456'."""
    if not vat:
        return None
    key = _NON_ALNUM.sub("", _strip_accents(vat).upper())
    return key if len(key) >= 4 else None


def normalize_company_name(name):
    """Lower case, no accents, no punctuation, no legal form at either end:
    'Tatra Logistics, s.r.o.' and 'TATRA LOGISTICS SRO' give the same key."""
    if not name:
        return None
    tokens = _NON_WORD.sub(" ", _strip_accents(name).casefold()).split()
    changed = True
    while changed and tokens:
        changed = False
        for form in _LEGAL_FORMS_BY_LENGTH:
            size = len(form)
            if len(tokens) > size and tuple(tokens[-size:]) == form:
                tokens = tokens[:-size]
                changed = True
                break
            if len(tokens) > size and tuple(tokens[:size]) == form:
                tokens = tokens[size:]
                changed = True
                break
    key = " ".join(tokens)
    return key or None


def email_company_domain(email_normalized):
    """The domain of a company address; None for public mail providers."""
    if not email_normalized or "@" not in email_normalized:
        return None
    domain = email_normalized.rsplit("@", 1)[1]
    return None if domain in FREE_MAIL_DOMAINS else domain


def first_match(keys, candidates_by_key):
    """The first key, in KEY_ORDER, whose value has candidates.

    ``keys`` maps a key type to a value (or None); ``candidates_by_key`` maps
    (key type, value) to a list of candidates. Returns (key type, value,
    candidates) or None.
    """
    for key_type in KEY_ORDER:
        value = keys.get(key_type)
        if value and candidates_by_key.get((key_type, value)):
            return key_type, value, candidates_by_key[(key_type, value)]
    return None


def group_rows(rows_keys):
    """Group the rows of one batch that share any key (union-find), so that
    two leads of the same company give one company. Returns, per row, the
    index of the first row of its group."""
    parent = list(range(len(rows_keys)))

    def find(index):
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    seen = {}
    for index, keys in enumerate(rows_keys):
        for key_type in KEY_ORDER:
            value = keys.get(key_type)
            if not value:
                continue
            other = seen.setdefault((key_type, value), index)
            if other != index:
                root_a, root_b = find(index), find(other)
                if root_a != root_b:
                    parent[max(root_a, root_b)] = min(root_a, root_b)
    return [find(index) for index in range(len(rows_keys))]
