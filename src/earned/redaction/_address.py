"""Street addresses, where the wording makes them recognisable.

English: a house number, one to four name words and a street type from the USPS list of
street suffixes (plus British ones), with an optional unit ("Apt 4B", "Suite 200") and an
optional "City, ST 12345" tail. Name words must be capitalised ("303 Richard Key"), except
before an unambiguous type (street, road, avenue, lane, ...: "42 oak street").

Continental European forms: German and Dutch names with a number after them
("Hauptstraße 5", "Kerkstraat 12"), French "12, rue de la Paix", Spanish and Italian
"Calle Mayor 5" / "Via Roma, 10". An address with no house number ("Leigh Fort") is not found.
"""

from __future__ import annotations

import re

from earned.redaction._detector import PatternDetector

__all__ = ["address_detectors"]

#: Street types unambiguous enough that lower-case name words still make an address.
_PLAIN = "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|highway|hwy|parkway|pkwy"
#: The USPS street suffixes (Publication 28, appendix C1) and British street types.
_SUFFIXES = (
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    "terrace|ter|highway|hwy|parkway|pkwy|circle|cir|square|sq|crescent|close|trail|trl|"
    "alley|aly|anex|arcade|bayou|beach|bend|bluffs?|bottom|branch|bridge|brooks?|burgs?|"
    "bypass|camp|canyon|cape|causeway|centers?|cliffs?|club|commons?|corners?|course|courts|"
    "coves?|creek|crest|crossing|crossroad|curve|dale|dam|divide|drives|estates?|expressway|"
    "extensions?|falls?|ferry|fields?|flats?|fords?|forest|forges?|forks?|fort|freeway|"
    "gardens?|gateway|glens?|greens?|groves?|harbors?|haven|heights|hills?|hollow|inlet|"
    "islands?|isle|junctions?|keys?|knolls?|lakes?|landing|lights?|loaf|locks?|lodge|loop|"
    "mall|manors?|meadows?|mews|mills?|mission|motorway|mount|mountains?|neck|orchard|oval|"
    "overpass|parks?|parkways|pass|passage|path|pike|pines?|plains?|plaza|points?|ports?|"
    "prairie|radial|ramp|ranch|rapids?|rest|ridges?|river|roads|route|row|rue|run|shoals?|"
    "shores?|skyway|springs?|spurs?|squares|station|stravenue|stream|streets|summit|trace|"
    "track|trafficway|trailer|tunnel|turnpike|underpass|unions?|valleys?|viaduct|views?|"
    "villages?|ville|vista|walks?|wall|ways|wells?|rise|parade|wharf|yard|gate"
)
_STOP = (
    r"(?!(?:the|a|an|on|in|at|to|of|for|and|or|my|your|our|their|his|her|its|this|that|"
    r"from|by|with|per|each|every|no|not|is|was|are)\b)"
)
_NUMBER = r"(?<![\w.,/-])\d{1,6}[A-Za-z]?(?:-\d{1,4})?,?"
_UNIT = (
    r"(?:,?\s(?i:apt\.?|apartment|suite|ste\.?|unit|flat|floor|fl\.?|room|rm\.?|#)\s?#?[\w-]{1,6})?"
)
_TAIL = r"(?:,\s[A-Z][A-Za-z.'-]+(?:\s[A-Z][A-Za-z.'-]+){0,2},?\s[A-Z]{2}\s\d{5}(?:-\d{4})?)?"
_CAP_WORD = r"(?:[A-Z][\w'\u2019.-]*|\d{1,3}(?:st|nd|rd|th))"
_ANY_WORD = rf"(?:{_STOP}[A-Za-z][\w'\u2019.-]*|\d{{1,3}}(?:st|nd|rd|th))"

_ENGLISH_PLAIN = re.compile(rf"{_NUMBER}\s(?:{_ANY_WORD}\s){{1,3}}(?i:{_PLAIN})\b\.?{_UNIT}{_TAIL}")
_ENGLISH = re.compile(rf"{_NUMBER}\s(?:{_CAP_WORD}\s){{1,4}}(?i:{_SUFFIXES})\b\.?{_UNIT}{_TAIL}")
_GERMANIC = re.compile(
    r"(?<![\w-])(?:[A-ZÄÖÜ][\wäöüß'-]*[\s-])?(?:[A-ZÄÖÜ][\wäöüß'-]*"
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|steig|pfad|"
    r"straat|laan|plein|gracht|kade|singel|dreef|baan|steeg)"
    r"|[A-ZÄÖÜ][\wäöüß'-]*[\s-](?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|"
    r"Markt|Hof|Straat|Laan|Plein|Gracht|Kade|Singel))"
    r"\s\d{1,4}\s?[a-z]?(?:\s?[-/]\s?\d{1,4}[a-z]?)?(?![\w-])"
)
_FRENCH = re.compile(
    r"(?<![\w.,/-])\d{1,4}(?:\s?(?:bis|ter))?,?\s"
    r"(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|quai|route|cours|passage|"
    r"square|voie|sentier)"
    r"\s(?:(?:de la|de l'|des|du|de|d'|la|le|les|l')\s?)*[A-ZÉÈÀ][\w'-]*(?:\s[A-ZÉÈÀ][\w'-]*){0,3}"
)
_SOUTHERN = re.compile(
    r"(?<![\w-])(?:Calle|C/|Avenida|Avda\.?|Paseo|Plaza|Camino|Carrera|Rambla|Ronda|Travesía|"
    r"Cañada|Pasaje|Pasadizo|Glorieta|Carretera|Vía|Via|Viale|Piazza|Piazzale|Corso|Largo|"
    r"Vicolo|Strada|Contrada|Borgo|Rua|Travessa)"
    r"\s(?:(?:de|del|la|las|los|el|della|dei|degli|di|da)\s)*[A-ZÁÉÍÓÚÑ][\w'-]*"
    r"(?:\s(?:(?:de|del|la|di|della)\s)?[A-ZÁÉÍÓÚÑ][\w'-]*){0,3},?\s(?:n\.?\s?|nº\s?)?\d{1,4}"
    r"(?:\s(?:Piso|Puerta|Piano|Interno|Esc\.?)\s\w{1,4})?(?![\w-])"
)


def address_detectors() -> list[PatternDetector]:
    """The street-address detectors (English, Germanic, French, Spanish and Italian forms)."""
    gate = r"\d"
    return [
        PatternDetector(name="address", kind="ADDRESS", pattern=_ENGLISH, priority=30, gate=gate),
        PatternDetector(
            name="address_plain", kind="ADDRESS", pattern=_ENGLISH_PLAIN, priority=30, gate=gate
        ),
        PatternDetector(
            name="address_germanic", kind="ADDRESS", pattern=_GERMANIC, priority=30, gate=gate
        ),
        PatternDetector(
            name="address_french", kind="ADDRESS", pattern=_FRENCH, priority=30, gate=gate
        ),
        PatternDetector(
            name="address_southern", kind="ADDRESS", pattern=_SOUTHERN, priority=30, gate=gate
        ),
    ]
