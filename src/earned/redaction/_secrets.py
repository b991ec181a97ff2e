"""Detectors for credentials: key formats, JWTs, PEM keys, bearer tokens, high entropy.

Also passwords in URLs and in `key=value` assignments.

The generic rule (`high_entropy`) flags a token of 20 or more characters from the base64
and base62 alphabets when it mixes upper case, lower case and digits, switches character
class at 35% or more of its positions, and carries at least 3.5 bits of Shannon entropy per
character. Random keys do all three; what earned and most systems use as ids do not:

- UUIDs, git and SHA-256 hashes, `run_...` and `idem_...` ids are lower-case hex (or upper
  case only), so they never mix cases;
- order ids, SKUs and tracking numbers (`ord_1001`, `SKU-4821-XL`, `1Z999AA10123456784`)
  are short or single-case;
- camelCase identifiers, paths and words switch class rarely;
- object ids with a known prefix (`call_...`, `toolu_...`, `msg_...`, `chatcmpl-...`,
  `ch_...`, `cus_...`, `req_...`, ...) are ids, and are left alone.

The cost: a hex-only secret (some vendors' 32-hex keys) is not found by this rule; it is
found when it follows a key word (`api_key=...`, `"token": "..."`) or sits under a
sensitive field name.
"""

from __future__ import annotations

import re

from earned.redaction._checks import class_changes, shannon_entropy
from earned.redaction._detector import PatternDetector

__all__ = ["ENTROPY_MIN_BITS", "ENTROPY_MIN_CHANGES", "ENTROPY_MIN_LENGTH", "secret_detectors"]

#: Shortest token the generic rule looks at.
ENTROPY_MIN_LENGTH = 20
#: Bits of Shannon entropy per character a generic token needs.
ENTROPY_MIN_BITS = 3.5
#: Share of character-class switches a generic token needs.
ENTROPY_MIN_CHANGES = 0.35

_KNOWN_FORMATS: list[tuple[str, str]] = [
    ("anthropic_key", r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{20,}"),
    ("openai_key", r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
    (
        "aws_access_key_id",
        r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z2-7]{16}",
    ),
    ("github_token", r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    ("slack_token", r"xox[abposre]-[A-Za-z0-9-]{10,}"),
    ("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}"),
    ("stripe_key", r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    ("stripe_webhook_secret", r"whsec_[A-Za-z0-9+/=]{20,}"),
    ("google_api_key", r"AIza[0-9A-Za-z_-]{35}"),
    ("google_oauth", r"(?:ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})"),
    ("gitlab_token", r"glpat-[A-Za-z0-9_-]{20,}"),
    ("npm_token", r"npm_[A-Za-z0-9]{36}"),
    ("huggingface_token", r"hf_[A-Za-z0-9]{34}"),
    ("shopify_token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("sendgrid_key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
]
_KNOWN = re.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?P<{name}>{rx})" for name, rx in _KNOWN_FORMATS) + r")(?![\w-])"
)
_JWT = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[\sA-Za-z0-9+/=:,-]*)",
    re.S,
)
_BEARER = re.compile(
    r"(?:\b[Bb]earer\s+|(?i:authorization)[\"']?\s*[:=]\s*[\"']?(?:Basic|Bearer|Token|Digest)?\s*)"
    r"(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)"
)
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@]{1,64}:(?P<secret>[^\s/@]{1,128})@")
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w-])(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|secret[_-]?key|"
    r"api[_-]?key|apikey|x-api-key|access[_-]?key|private[_-]?key|access[_-]?token|"
    r"auth[_-]?token|refresh[_-]?token|id[_-]?token|token|credentials?)"
    r"[\"']?\s*[:=]\s*[\"']?(?P<secret>[^\s\"'<,;&}\]]{6,})"
)
#: Prefixes of object ids that are not secrets (model, tool-call and payment object ids).
_ID_PREFIX = re.compile(
    r"(?:call|toolu|msg|chatcmpl|resp|run|span|req|evt|ch|pi|pm|cus|in|txn|prod|price|sub|"
    r"acct|py|po|cs|seti|file|ord|inv|batch|asst|thread|ft|org|idem)[_-]"
)
_TOKEN = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{20,}={0,2}(?![\w+/=-])")


def _locate_known(match: re.Match[str], text: str) -> tuple[int, int] | None:
    return match.span()


def _locate_bearer(match: re.Match[str], text: str) -> tuple[int, int] | None:
    token = match.group("secret")
    return match.span("secret") if any(c.isdigit() for c in token) else None


def _locate_entropy(match: re.Match[str], text: str) -> tuple[int, int] | None:
    token = match.group().rstrip("=")
    if token.startswith("/") or _ID_PREFIX.match(token):
        return None  # a path, or an object id
    if not (
        any(c.isdigit() for c in token)
        and any(c.isupper() for c in token)
        and any(c.islower() for c in token)
    ):
        return None
    if class_changes(token) < ENTROPY_MIN_CHANGES:
        return None
    if shannon_entropy(token) < ENTROPY_MIN_BITS:
        return None
    return match.span()


def secret_detectors() -> list[PatternDetector]:
    """The credential detectors, strongest first."""
    return [
        PatternDetector(
            name="pem_private_key", kind="SECRET", pattern=_PEM, priority=100, gate="-----BEGIN"
        ),
        PatternDetector(name="jwt", kind="SECRET", pattern=_JWT, priority=95, gate="eyJ"),
        PatternDetector(
            name="known_key_format", kind="SECRET", pattern=_KNOWN, priority=90,
            gate=r"sk-|A[BCGIKNPRS][A-Z][A-Z]|gh[pousr]_|github_pat_|xox|hooks\.slack|_live_|"
            r"_test_|whsec_|AIza|ya29\.|GOCSPX-|glpat-|npm_|hf_|shp|SG\.",
            locate=_locate_known,
        ),
        PatternDetector(
            name="url_password", kind="SECRET", pattern=_URL_PASSWORD, priority=85,
            gate="://", group="secret",
        ),
        PatternDetector(
            name="bearer_token", kind="SECRET", pattern=_BEARER, priority=80,
            gate=r"[Bb]earer|(?i:authorization)", locate=_locate_bearer,
        ),
        PatternDetector(
            name="assigned_secret", kind="SECRET", pattern=_ASSIGNMENT, priority=80,
            gate=r"[:=]", group="secret",
        ),
        PatternDetector(
            name="high_entropy", kind="SECRET", pattern=_TOKEN, priority=10,
            gate=r"[A-Za-z0-9+/_-]{20}", locate=_locate_entropy,
        ),
    ]  # fmt: skip
