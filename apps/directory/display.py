"""Readable text from registry capitals, for display only: the stored text is never changed.

NPPES publishes "JEFFERY SPIRO", "263 FARMINGTON AVE", "M.D.", "8606792100". These functions give
"Jeffery Spiro", "263 Farmington Ave", "MD", "(860) 679-2100". Names and addresses are recased only
when they are all capitals: any lower-case letter means a person typed them (a curator's "MacKenzie",
"DeVita"), and they are shown as typed.

Written here rather than taken from nameparser: its capitalize() applies ``^(ma?c)(\\w{2,})`` to every
surname (MACHADO -> MacHado, MACIAS -> MacIas) and parses names the registry already gives in parts.
"""

import re
from functools import lru_cache

# Words that stay lower case inside a name: "van der Berg", "de la Cruz", "Maria de Lourdes". Never the
# last word, which is the surname itself ("Van", "De" are surnames too). "la", "le" only after another
# particle: alone they start a surname ("La Rosa", "Le Blanc").
NAME_PARTICLES = frozenset(
    {"da", "das", "de", "del", "della", "der", "den", "do", "dos", "ten", "ter", "van", "von", "y"}
)
ARTICLES = frozenset({"la", "le", "las", "los"})
# Mac-names whose split is known. Any other MAC... is capitalized plainly: MACHADO, MACIAS, MACK, MACEY.
# fmt: off
MAC_NAMES = frozenset({
    "macadam", "macalister", "macallister", "macarthur", "macaulay", "macbride", "maccallum", "maccormack",
    "macdermott", "macdonald", "macdougall", "macdowell", "macewan", "macewen", "macfarlane", "macgillivray",
    "macgregor", "macinnes", "macintyre", "macisaac", "mackay", "mackenzie", "mackinnon",
    "maclachlan", "maclaren", "maclean", "maclennan", "macleod", "macmahon", "macmillan", "macnamara",
    "macnaughton", "macneil", "macneill", "macpherson", "macquarrie", "macqueen", "macrae", "macvicar",
})
# fmt: on
NAME_SUFFIXES = {"jr": "Jr.", "sr": "Sr."}
ROMAN_NUMERAL = re.compile(r"^(?=[ivxl]{2,}$)l?x{0,3}(ix|iv|v?i{0,3})$", re.IGNORECASE)
# Name words that look like Roman numerals but are names: Xi, Vi, Li, Liv.
ROMAN_LOOKALIKE_NAMES = frozenset({"xi", "vi", "li", "liv"})

# Address words kept in capitals: compass directions, a few well-known abbreviations (LL: lower level)
# and hospital units.
ADDRESS_CAPITALS = frozenset(
    {"n", "s", "e", "w", "ne", "nw", "se", "sw", "ll", "po", "pob", "us", "va", "afb", "mlk", "md", "llc", "pc", "pllc"}
    | {"ent", "icu", "nicu", "picu"}
)
# Joining words lower case inside an address or practice name (never first): "King of Prussia".
ADDRESS_SMALL_WORDS = frozenset({"of", "and", "the", "at", "for", "in", "on"})
FIRST_LETTER = re.compile(r"^([^\w]*)(\w)")
# Initials with dots, kept in capitals: "P.C.", "U.S.".
DOTTED_INITIALS = re.compile(r"^\w(\.\w)+$")
ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$", re.IGNORECASE)

# Credentials whose usual spelling is not all capitals, by their letters without dots.
CREDENTIAL_SPELLINGS = {
    "PHD": "PhD",
    "DPHIL": "DPhil",
    "MBCHB": "MBChB",
    "MSC": "MSc",
    "BSC": "BSc",
    "SCD": "ScD",
    "DSC": "DSc",
    "PHARMD": "PharmD",
    "DRPH": "DrPH",
    "EDD": "EdD",
    "PSYD": "PsyD",
    "MED": "MEd",
    "AUD": "AuD",
    "RPH": "RPh",
}

PHONE_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
ZIP = re.compile(r"^(\d{5})-?(\d{4})?$")


def needs_case(text: str) -> bool:
    """All capitals: the registry's style. Any lower-case letter means a person chose the case."""
    return text.isupper()


def _split_keep(text: str, separators: str) -> list[str]:
    """Pieces of a word and the separators between them: "SMITH-JONES" -> ["SMITH", "-", "JONES"]."""
    return re.split(f"([{re.escape(separators)}])", text)


def _capitalize(word: str) -> str:
    """First letter up, the rest down; after a one-letter prefix and an apostrophe both parts are
    capitalized (O'Brien, D'Angelo), after a longer one only the first (St Mary's)."""
    head, apostrophe, tail = word.partition("'")
    if apostrophe and tail:
        if len(head) == 1:
            return f"{head.upper()}'{_capitalize(tail)}"
        return f"{_capitalize(head)}'{tail.lower()}"
    # The first letter, not the first character: "(ONCOLOGY)" -> "(Oncology)".
    return FIRST_LETTER.sub(lambda found: found.group(1) + found.group(2).upper(), word.lower(), count=1)


def _surname_word(word: str) -> str:
    lower = word.lower()
    if lower.startswith("mc") and len(lower) > 3:
        return "Mc" + _capitalize(word[2:])
    if lower in MAC_NAMES:
        return "Mac" + word[3:].capitalize()
    return _capitalize(word)


def _name_word(word: str) -> str:
    return "".join(piece if piece == "-" else _surname_word(piece) for piece in _split_keep(word, "-") if piece)


@lru_cache(maxsize=8192)
def person_name(text: str, *, given: bool = False) -> str:
    """One name field in proper case: McDonald, MacLeod, O'Brien, D'Angelo, Smith-Jones, van der Berg,
    de la Cruz; a generational suffix inside it (SMITH III) stays in capitals. A given name starts with a
    capital even when its first word is a particle ("De Andre"), a surname does not ("de la Cruz")."""
    text = " ".join(text.split())
    if not needs_case(text):
        return text
    words = text.split(" ")
    shown = []
    for position, word in enumerate(words):
        lower = word.lower().rstrip(".")
        follows_particle = position > 0 and words[position - 1].lower() in NAME_PARTICLES
        inside = position < len(words) - 1 and (position > 0 or not given)
        if inside and (lower in NAME_PARTICLES or (follows_particle and lower in ARTICLES)):
            shown.append(word.lower())
        elif position > 0 and (lower in NAME_SUFFIXES or _is_roman(lower)):
            shown.append(name_suffix(word))
        else:
            shown.append(_name_word(word))
    return " ".join(shown)


def full_name(first: str, middle: str, last: str, suffix: str, credentials_text: str) -> str:
    """A physician's name as pages and the API show it: "Jeffery A Spiro Jr, MD"."""
    parts = [person_name(first, given=True), person_name(middle), person_name(last)]
    name = " ".join(part for part in parts if part)
    if suffix:
        name = f"{name} {name_suffix(suffix)}"
    shown = credentials(credentials_text)
    return f"{name}, {shown}" if shown else name


def _is_roman(word: str) -> bool:
    return bool(ROMAN_NUMERAL.match(word)) and word.lower() not in ROMAN_LOOKALIKE_NAMES


@lru_cache(maxsize=256)
def name_suffix(text: str) -> str:
    """A generational suffix: JR -> Jr., SR. -> Sr., ii -> II; anything else as a name."""
    text = text.strip()
    key = text.lower().rstrip(".")
    if key in NAME_SUFFIXES:
        return NAME_SUFFIXES[key]
    if ROMAN_NUMERAL.match(key):
        return key.upper()
    return person_name(text)


@lru_cache(maxsize=1024)
def credentials(text: str) -> str:
    """Credentials as a reader expects them: M.D., M D and MD are all "MD"; D.O. is "DO"; PH.D. is "PhD";
    FACS, MBBS stay. Repeats are dropped. Separated by commas when the text had commas (or slashes),
    else by spaces, as typed."""
    tokens = []
    for chunk in re.split(r"[,;/]", text):
        tokens.extend(_credential_tokens(chunk))
    seen = []
    for token in tokens:
        if token not in seen:
            seen.append(token)
    return (", " if re.search(r"[,;/]", text) else " ").join(seen)


def _credential_tokens(chunk: str) -> list[str]:
    """The credentials in one comma-free chunk. Single letters are parts of one credential ("M D"),
    and so are dot-separated pieces unless each is a credential on its own ("MD.PHD")."""
    tokens: list[str] = []
    letters = ""
    for word in chunk.split():
        pieces = [piece for piece in word.split(".") if piece]
        parts = pieces if len(pieces) > 1 and all(len(piece) > 1 for piece in pieces) else ["".join(pieces)]
        for part in parts:
            if len(part) == 1:
                letters += part
                continue
            if letters:
                tokens.append(_credential(letters))
                letters = ""
            tokens.append(_credential(part))
    if letters:
        tokens.append(_credential(letters))
    return [token for token in tokens if token]


def _credential(token: str) -> str:
    key = token.upper()
    if key in CREDENTIAL_SPELLINGS:
        return CREDENTIAL_SPELLINGS[key]
    # A curator's own spelling of a credential we do not know (say "MPhil") is kept; "md" is plainly MD.
    return key if token.isupper() or token.islower() else token


def _address_word(word: str, first: bool) -> str:
    lower = word.lower()
    if ORDINAL.match(word):
        return lower  # 1ST -> 1st, 42ND -> 42nd
    if any(ch.isdigit() for ch in word) or len(word) == 1:
        return word.upper()  # 200, 4B, #12, A (building A), N
    bare = lower.strip(".,()")
    if bare in ADDRESS_CAPITALS or _is_roman(bare) or DOTTED_INITIALS.match(bare):
        return word.upper()
    if bare == "c/o" or (not first and bare in ADDRESS_SMALL_WORDS):
        return lower
    return "".join(piece if piece in "-/" else _surname_word(piece) for piece in _split_keep(word, "-/") if piece)


@lru_cache(maxsize=8192)
def address(text: str) -> str:
    """An address line, city or practice name in proper case: "263 FARMINGTON AVE" -> "263 Farmington
    Ave", "STE 200" -> "Ste 200", "APT 4B", "PO BOX 12", "1ST ST NE" -> "1st St NE", "MCDONALD AVE"."""
    text = " ".join(text.split())
    if not needs_case(text):
        return text
    text = re.sub(r"\bP\.? ?O\.? (?=BOX\b)", "PO ", text, flags=re.IGNORECASE)
    return " ".join(_address_word(word, position == 0) for position, word in enumerate(text.split(" ")))


def _us_phone(text: str) -> tuple[str, str] | None:
    """(10 digits, extension) of a US number written any usual way, or None."""
    main, extension = text.strip(), ""
    found = PHONE_EXTENSION.search(main)
    if found:
        main, extension = main[: found.start()], found.group(1)
    digits = re.sub(r"\D", "", main)
    if re.search(r"[^\d\s().+-]", main) or not (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1")):
        return None
    return digits[-10:], extension


@lru_cache(maxsize=4096)
def phone(text: str) -> str:
    """A US number as "(860) 679-2100", with "ext. 12" when it has an extension; anything else as stored."""
    parsed = _us_phone(text)
    if parsed is None:
        return text.strip()
    digits, extension = parsed
    shown = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return f"{shown} ext. {extension}" if extension else shown


def tel_uri(text: str) -> str:
    """A tel: link (RFC 3966): US numbers get +1 and their extension as ";ext=12"."""
    parsed = _us_phone(text)
    if parsed is not None:
        digits, extension = parsed
        return f"tel:+1{digits}" + (f";ext={extension}" if extension else "")
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 10:
        digits = f"1{digits}"
    return f"tel:+{digits}" if digits else ""


def zip_code(text: str) -> str:
    """ZIP+4 as 12345-6789 (the registry writes 123456789); a 5-digit ZIP as it is."""
    found = ZIP.match(text.strip())
    if not found:
        return text.strip()
    return f"{found.group(1)}-{found.group(2)}" if found.group(2) else found.group(1)


# What an import or a form may leave as a location's name when it has none: never shown as a title.
PLACEHOLDER_LOCATION_NAMES = frozenset({"", "practice"})


def location_title(name: str, address_line1: str) -> str:
    """A location's title: its practice name, or its street address when it has none (NPPES gives
    individuals no practice name), never a placeholder."""
    if name.strip().lower() in PLACEHOLDER_LOCATION_NAMES:
        return address(address_line1)
    return address(name)


# What the pages say where a yes / no field is not known (None: NPPES does not say; nobody told us).
NOT_KNOWN = "Not known: call to ask"


def new_patients(accepting: bool | None) -> str:
    """A location's answer to "accepting new patients?" in words: a no is said, and so is not knowing."""
    if accepting is None:
        return f"New patients? {NOT_KNOWN}"
    return "Accepting new patients" if accepting else "Not accepting new patients"
