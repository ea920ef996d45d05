"""What can be read from a message's text at once: blocked terms, and the links it holds.

Text is compared folded (Unicode NFKC, case-folded, zero-width and control characters
dropped), so that full-width "IDIOT" and "id\u200biot" match a blocked "idiot". A blocked term
matches whole words; `*` in a term stands for any run of letters ("spam*" matches
"spammer"). Links are found with or without a scheme ("https://x.biz/a", "www.x.biz",
"x.biz/path"), in the content and in every attribute value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

MAX_TERM_CHARS = 100
_INVISIBLE = dict.fromkeys(c for c in range(0x20) if chr(c) not in "\t\n") | dict.fromkeys(
    (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD)
)
# Top-level domains that make a bare "name.tld" a link (spam's usual ones); with a path or
# "www." any domain does.
_BARE_TLDS = "com|net|org|io|biz|info|xyz|ru|gg|tv|ly|co|me|app|link|click|top|site|shop"
_LINK = re.compile(
    r"(?:(?:https?|ftp)://[^\s<>\"']+)"
    r"|(?:\bwww\.[^\s<>\"']+)"
    r"|(?:\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?/[^\s<>\"']*)"
    r"|(?:\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _BARE_TLDS + r")\b)",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """The text as terms are compared: NFKC, case-folded, invisible characters dropped."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A blocked term as a whole-word pattern; `*` stands for any run of word characters."""
    parts = [re.escape(part) for part in fold(term).split("*")]
    return re.compile(r"(?<!\w)" + r"\w*".join(parts) + r"(?!\w)")


def valid_term(term: str) -> str:
    """The term as stored (stripped); ValueError saying what is wrong with it."""
    term = term.strip()
    if not term or len(term) > MAX_TERM_CHARS:
        raise ValueError(f"a blocked term has 1 to {MAX_TERM_CHARS} characters")
    if not fold(term).replace("*", "").strip():
        raise ValueError("a blocked term needs at least one character besides *")
    if not term.isprintable():
        raise ValueError("a blocked term must be printable text")
    return term


def blocked_term(texts: Iterable[str], terms: Iterable[str]) -> str | None:
    """The first of `terms` that one of `texts` contains, or None."""
    folded = [fold(text) for text in texts]
    for term in terms:
        pattern = term_pattern(term)
        if any(pattern.search(text) for text in folded):
            return term
    return None


@dataclass(frozen=True)
class Link:
    text: str  # as written
    host: str  # lower case, no port
    https: bool


def links(texts: Iterable[str]) -> list[Link]:
    found = []
    for text in texts:
        for match in _LINK.finditer(fold(text)):
            written = match.group(0).rstrip(".,;:!?)]}")
            url = written if "://" in written else f"http://{written}"
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").rstrip(".")
            except ValueError:
                host, parts = "", None
            found.append(Link(written, host, parts is not None and parts.scheme == "https"))
    return found


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether `host` is one of `allowed` ("*.example.com": its subdomains, not itself)."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        name = entry.split(":")[0]
        if name.startswith("*."):
            if host.endswith(name[1:]) and host != name[2:]:
                return True
        elif host == name:
            return True
    return False


def message_texts(content: str, attributes: Mapping[str, str]) -> list[str]:
    return [content, *attributes.values()]
