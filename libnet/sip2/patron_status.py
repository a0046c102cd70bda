"""What an answer about a patron (24 or 64) says in its fixed fields: flags and language.

The patron status is 14 characters, one flag per position, "Y" when it applies and a blank
otherwise (SIP2 2.00, Patron Status Response).
"""

from __future__ import annotations

PATRON_FLAGS = (
    "charge privileges denied",
    "renewal privileges denied",
    "recall privileges denied",
    "hold privileges denied",
    "card reported lost",
    "too many items charged",
    "too many items overdue",
    "too many renewals",
    "too many claims of items returned",
    "too many items lost",
    "excessive outstanding fines",
    "excessive outstanding fees",
    "recall overdue",
    "too many items billed",
)
CHARGE_DENIED, RENEWAL_DENIED, RECALL_DENIED, HOLD_DENIED, CARD_LOST = PATRON_FLAGS[:5]
FINES, FEES = PATRON_FLAGS[10], PATRON_FLAGS[11]

# The language field's three-digit codes (SIP2 2.00, "language").
LANGUAGES = {
    "000": "unknown",
    "001": "English",
    "002": "French",
    "003": "German",
    "004": "Italian",
    "005": "Dutch",
    "006": "Swedish",
    "007": "Finnish",
    "008": "Spanish",
    "009": "Danish",
    "010": "Portuguese",
    "011": "Canadian-French",
    "012": "Norwegian",
    "013": "Hebrew",
    "014": "Japanese",
    "015": "Russian",
    "016": "Arabic",
    "017": "Polish",
    "018": "Greek",
    "019": "Chinese",
    "020": "Korean",
    "021": "North American Spanish",
    "022": "Tamil",
    "023": "Malay",
    "024": "United Kingdom",
    "025": "Icelandic",
    "026": "Belgian",
    "027": "Taiwanese",
}
ISO_639_1 = {"001": "en", "024": "en", "002": "fr", "011": "fr", "003": "de", "004": "it"}


def patron_flags(status: str) -> list[str]:
    """The names of the flags set ("Y") in a 14-character patron status."""
    return [name for name, flag in zip(PATRON_FLAGS, status, strict=False) if flag == "Y"]


def language_code(sip_language: str) -> str:
    """The ISO 639-1 code of a SIP2 language ("003" -> "de"), "" when unknown or other."""
    return ISO_639_1.get(sip_language, "")
