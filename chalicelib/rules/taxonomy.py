"""Amazon Rekognition content moderation taxonomy, version 7.

Source: https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html
DetectModerationLabels returns each label with its ParentName and TaxonomyLevel;
this table lets a label count for its top-level category even when the response
leaves out the intermediate parent (for example under a high MinConfidence).
"""

TOP_LEVEL = (
    "Explicit",
    "Non-Explicit Nudity of Intimate parts and Kissing",
    "Swimwear or Underwear",
    "Violence",
    "Visually Disturbing",
    "Drugs & Tobacco",
    "Alcohol",
    "Rude Gestures",
    "Gambling",
    "Hate Symbols",
)
PARENT = {
    # Explicit
    "Explicit Nudity": "Explicit",
    "Exposed Male Genitalia": "Explicit Nudity",
    "Exposed Female Genitalia": "Explicit Nudity",
    "Exposed Buttocks or Anus": "Explicit Nudity",
    "Exposed Female Nipple": "Explicit Nudity",
    "Explicit Sexual Activity": "Explicit",
    "Sex Toys": "Explicit",
    # Non-Explicit Nudity of Intimate parts and Kissing
    "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Bare Back": "Non-Explicit Nudity",
    "Exposed Male Nipple": "Non-Explicit Nudity",
    "Partially Exposed Buttocks": "Non-Explicit Nudity",
    "Partially Exposed Female Breast": "Non-Explicit Nudity",
    "Implied Nudity": "Non-Explicit Nudity",
    "Obstructed Intimate Parts": "Non-Explicit Nudity of Intimate parts and Kissing",
    "Obstructed Female Nipple": "Obstructed Intimate Parts",
    "Obstructed Male Genitalia": "Obstructed Intimate Parts",
    "Kissing on the Lips": "Non-Explicit Nudity of Intimate parts and Kissing",
    # Swimwear or Underwear
    "Female Swimwear or Underwear": "Swimwear or Underwear",
    "Male Swimwear or Underwear": "Swimwear or Underwear",
    # Violence
    "Weapons": "Violence",
    "Graphic Violence": "Violence",
    "Weapon Violence": "Graphic Violence",
    "Physical Violence": "Graphic Violence",
    "Self-Harm": "Graphic Violence",
    "Blood & Gore": "Graphic Violence",
    "Explosions and Blasts": "Graphic Violence",
    # Visually Disturbing
    "Death and Emaciation": "Visually Disturbing",
    "Emaciated Bodies": "Death and Emaciation",
    "Corpses": "Death and Emaciation",
    "Crashes": "Visually Disturbing",
    "Air Crash": "Crashes",
    # Drugs & Tobacco
    "Products": "Drugs & Tobacco",
    "Pills": "Products",
    "Drugs & Tobacco Paraphernalia & Use": "Drugs & Tobacco",
    "Smoking": "Drugs & Tobacco Paraphernalia & Use",
    # Alcohol
    "Alcohol Use": "Alcohol",
    "Drinking": "Alcohol Use",
    "Alcoholic Beverages": "Alcohol",
    # Rude Gestures
    "Middle Finger": "Rude Gestures",
    # Gambling: no L2/L3 labels
    # Hate Symbols
    "Nazi Party": "Hate Symbols",
    "White Supremacy": "Hate Symbols",
    "Extremist": "Hate Symbols",
}


def top_level_category(name: str, parent: str = "") -> str:
    """The L1 category a label belongs to (the label itself when it is L1 or unknown)."""
    for start in (name, parent):
        current, seen = start, set()
        while current in PARENT and current not in seen:
            seen.add(current)
            current = PARENT[current]
        if current in TOP_LEVEL:
            return current
    # A label from a newer taxonomy: its parent is the best category we know.
    return parent or name


CATEGORIES = frozenset(TOP_LEVEL) | frozenset(PARENT)  # every name of every level


def category_path(name: str, parent: str = "") -> tuple[str, ...]:
    """The label and the categories above it, most specific first, ending at its L1 category:
    ``("Weapon Violence", "Graphic Violence", "Violence")``. A label the table does not know
    (a newer taxonomy) goes under its parent's path, or its parent alone if that is unknown too."""
    if name in CATEGORIES:
        return _chain(name)
    if parent in CATEGORIES:
        return (name, *_chain(parent))
    return (name, parent) if parent and parent != name else (name,)


def _chain(name: str) -> tuple[str, ...]:
    path = [name]
    while path[-1] in PARENT and PARENT[path[-1]] not in path:
        path.append(PARENT[path[-1]])
    return tuple(path)


def category_level(name: str) -> int:
    """A known category's level in the taxonomy: 1 for L1, 2, 3."""
    return len(_chain(name))
