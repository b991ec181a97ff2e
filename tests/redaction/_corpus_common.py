"""Labelled corpora for the redactor: texts built from templates with Faker, every entity's
span known, plus hard negatives (ids, hashes, prices, dates, ...) that must be left alone.

A template is a string with `{KIND}` slots. Upper-case kinds (`{EMAIL}`, `{CARD}`, ...) are
entities and are labelled; lower-case ones (`{order_id}`, `{uuid}`, ...) are hard negatives
and are not. Each split (dev, held-out) has its own templates, its own Faker locales and its
own seed, so the held-out figures measure text the detectors were not written against.
"""

from __future__ import annotations

import base64
import json
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from random import Random

from faker import Faker

from earned.redaction import ENTITY_KINDS, Finding, Redactor

Span = tuple[int, int, str]
_SLOT = re.compile(r"\{([A-Za-z_]+)\}")
_B62 = string.ascii_letters + string.digits
_URLSAFE = _B62 + "-_"


@dataclass(frozen=True)
class Item:
    """One labelled text: where each entity is, and of which kind."""

    text: str
    spans: tuple[Span, ...]
    source: str


@dataclass
class Gen:
    """Entity and hard-negative generators over one seeded Faker per locale."""

    locales: Sequence[str]
    seed: int
    rng: Random = field(init=False)
    fakers: list[Faker] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = Random(self.seed)
        self.fakers = []
        for i, locale in enumerate(self.locales):
            fake = Faker(locale)
            fake.seed_instance(self.seed * 100 + i)
            self.fakers.append(fake)

    @property
    def fake(self) -> Faker:
        return self.rng.choice(self.fakers)

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    # -- entities -----------------------------------------------------------------------------

    def EMAIL(self) -> str:
        fake = self.fake
        return self.rng.choice([fake.email, fake.free_email, fake.company_email, fake.safe_email])()

    def PHONE(self) -> str:
        return self.fake.phone_number()

    def CARD(self) -> str:
        fake = self.fake
        number = fake.credit_card_number()
        style = self.rng.random()
        if style < 0.4 or len(number) not in (15, 16):
            return number
        sep = " " if style < 0.8 else "-"
        if len(number) == 15:
            return sep.join([number[:4], number[4:10], number[10:]])
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))

    def IBAN(self) -> str:
        iban = self.fake.iban()
        if self.rng.random() < 0.5:
            return iban
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))

    def SSN(self) -> str:
        return gen_ssn(self.rng)

    def IP(self) -> str:
        fake = self.fake
        return self.rng.choice([fake.ipv4_public, fake.ipv4_public, fake.ipv4, fake.ipv6])()

    def ADDRESS(self) -> str:
        return self.fake.street_address().replace("\n", ", ").strip()

    def SECRET(self) -> str:
        return self.rng.choice(SECRET_MAKERS)(self)

    # -- hard negatives ---------------------------------------------------------------------

    def order_id(self) -> str:
        n = self.rng.randint(1000, 999999)
        return self.rng.choice([f"ord_{n}", f"ORD-{n}", f"#{n}", f"A{n:08d}", f"SO-2024-{n:06d}"])

    def uuid(self) -> str:
        value = self.fake.uuid4()
        return value.upper() if self.rng.random() < 0.2 else value

    def timestamp(self) -> str:
        dt = self.fake.date_time_between(datetime(2019, 1, 1), datetime(2025, 12, 31))
        return self.rng.choice(
            [dt.isoformat(), dt.strftime("%Y-%m-%d %H:%M:%S"), str(int(dt.timestamp())),
             dt.strftime("%d/%m/%Y %H:%M"), dt.isoformat() + "Z"]
        )  # fmt: skip

    def date(self) -> str:
        d = self.fake.date_between(date(2019, 1, 1), date(2025, 12, 31))
        return self.rng.choice(
            [d.isoformat(), d.strftime("%m/%d/%Y"), d.strftime("%d.%m.%Y"), d.strftime("%B %d, %Y")]
        )

    def price(self) -> str:
        amount = self.rng.uniform(1, 5000)
        return self.rng.choice(
            [f"${amount:,.2f}", f"€{amount:.2f}", f"{amount:.2f} USD", f"£{amount:,.2f}",
             f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"]
        )  # fmt: skip

    def sku(self) -> str:
        return self.rng.choice(
            [f"SKU-{self.rng.randint(1000, 9999)}-{self.rng.choice(['XS', 'S', 'M', 'L', 'XL'])}",
             f"{self.chars(string.ascii_uppercase, 3)}-{self.rng.randint(100, 99999)}",
             f"P{self.rng.randint(10**6, 10**7)}"]
        )  # fmt: skip

    def version(self) -> str:
        r = self.rng.randint
        return self.rng.choice(
            [f"{r(0, 9)}.{r(0, 30)}.{r(0, 99)}", f"v{r(0, 9)}.{r(0, 30)}.{r(0, 99)}",
             f"{r(1, 20)}.{r(0, 9)}.{r(0, 9)}.{r(0, 999)}", f"{r(2019, 2025)}.{r(1, 12)}.{r(1, 28)}"]
        )  # fmt: skip

    def git_hash(self) -> str:
        value = self.fake.sha1()
        return self.rng.choice([value, value[:7], value[:12], self.fake.sha256(), self.fake.md5()])

    def tracking(self) -> str:
        r = self.rng
        return r.choice(
            [f"1Z{self.chars(string.ascii_uppercase + string.digits, 6)}{r.randint(10**9, 10**10)}",
             f"9400 1{r.randint(100, 999)} {r.randint(1000, 9999)} {r.randint(1000, 9999)} "
             f"{r.randint(1000, 9999)} {r.randint(10, 99)}",
             str(r.randint(10**11, 10**12 - 1)), f"JD{r.randint(10**17, 10**18 - 1)}"]
        )  # fmt: skip

    def product_code(self) -> str:
        return self.rng.choice([self.fake.ean13(), self.fake.isbn13(), self.fake.ean8()])

    def our_id(self) -> str:
        r = self.rng
        hexed = self.chars("0123456789abcdef", 32)
        return r.choice(
            [f"run_{hexed[:26]}", f"run_{hexed[:26]}:{r.randint(0, 40)}", f"idem_{hexed}",
             f"refunds@{hexed[:12]}", f"earned-0.1.0-{hexed[:12]}", f"call_{hexed[:24]}"]
        )  # fmt: skip

    def quantity(self) -> str:
        r = self.rng
        return r.choice(
            [f"{r.randint(1, 12)} items", f"{r.randint(1, 500)} ms", f"{r.randint(1, 100)}%",
             f"{r.randint(1, 99)} x {self.fake.word()}", f"HTTP {r.choice([200, 404, 429, 503])}"]
        )  # fmt: skip

    def zip_code(self) -> str:
        return self.fake.postcode()

    def path(self) -> str:
        return self.rng.choice([self.fake.file_path(depth=3), self.fake.uri(), self.fake.url()])

    def mac(self) -> str:
        return self.fake.mac_address()

    def coords(self) -> str:
        return f"{self.fake.latitude()}, {self.fake.longitude()}"

    def color(self) -> str:
        return self.fake.hex_color()

    def image_digest(self) -> str:
        return f"sha256:{self.fake.sha256()}"

    def arn(self) -> str:
        return f"arn:aws:iam::{self.rng.randint(10**11, 10**12 - 1)}:role/{self.fake.word()}"

    def object_id(self) -> str:
        prefix = self.rng.choice(["ch_", "cus_", "pi_", "call_", "toolu_01", "msg_01", "evt_"])
        return prefix + self.chars(_B62, self.rng.choice([14, 22, 24]))

    def pod(self) -> str:
        tail = self.chars(string.ascii_lowercase + string.digits, 5)
        return f"{self.fake.word()}-api-{self.chars('0123456789abcdef', 10)}-{tail}"

    def invoice(self) -> str:
        return f"INV-{self.rng.randint(2019, 2025)}-{self.rng.randint(1, 99999):05d}"

    def isbn10(self) -> str:
        return self.fake.isbn10()

    def big_number(self) -> str:
        n = self.rng.randint(10**5, 10**9)
        return self.rng.choice([f"{n:,}", f"{n:,}".replace(",", " "), str(n)])

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.fake.binary(length=24)).decode()

    def user_name(self) -> str:
        return self.fake.user_name()

    def city(self) -> str:
        return self.fake.city()

    def SECRET__password(self) -> str:
        return self.fake.password(length=self.rng.randint(10, 16))

    def SECRET__basic(self) -> str:
        pair = f"{self.fake.user_name()}:{self.fake.password(length=12)}"
        return base64.b64encode(pair.encode()).decode()

    def EMAIL__upper(self) -> str:
        return self.EMAIL().upper() if self.rng.random() < 0.5 else self.EMAIL().capitalize()

    def identifier(self) -> str:
        words = [self.fake.word().capitalize() for _ in range(self.rng.randint(2, 4))]
        name = "".join(words)
        return self.rng.choice(
            [name[0].lower() + name[1:], name, "_".join(w.lower() for w in words)]
        )


def gen_ssn(rng: Random) -> str:
    """A valid-looking SSN (what Faker's en_US `ssn()` makes), dashed or spaced."""
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    sep = "-" if rng.random() < 0.85 else " "
    return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(g: Gen) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": str(g.rng.randint(1, 10**9)), "name": g.fake.name(), "iat": 1716239022}
    payload = _b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64url(bytes(g.rng.getrandbits(8) for _ in range(32)))}"


def _pem(g: Gen) -> str:
    kind = g.rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = "\n".join(g.chars(_B62 + "+/", 64) for _ in range(g.rng.randint(3, 6)))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


SECRET_MAKERS: list[Callable[[Gen], str]] = [
    lambda g: "sk-proj-" + g.chars(_URLSAFE, 48),
    lambda g: "sk-" + g.chars(_B62, 48),
    lambda g: "sk-ant-api03-" + g.chars(_URLSAFE, 93) + "AA",
    lambda g: "AKIA" + g.chars(string.ascii_uppercase + "234567", 16),
    lambda g: g.chars(_B62 + "/+", 40),  # an AWS secret access key
    lambda g: "ghp_" + g.chars(_B62, 36),
    lambda g: "github_pat_" + g.chars(_B62, 22) + "_" + g.chars(_B62, 59),
    lambda g: (
        f"xoxb-{g.rng.randint(10**10, 10**11)}-{g.rng.randint(10**10, 10**11)}-" + g.chars(_B62, 24)
    ),
    lambda g: g.rng.choice(["sk_live_", "rk_live_", "sk_test_"]) + g.chars(_B62, 24),
    lambda g: "AIza" + g.chars(_URLSAFE, 35),
    _jwt,
    _pem,
    lambda g: g.chars(_B62, g.rng.choice([24, 32, 40])),  # a vendor's opaque API key
]


def build(template: str, gen: Gen, source: str) -> Item:
    """Fill a template's slots; upper-case slots are labelled entities."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for match in _SLOT.finditer(template):
        literal = template[pos : match.start()].replace("{{", "{").replace("}}", "}")
        parts.append(literal)
        length += len(literal)
        slot = match.group(1)
        value = getattr(gen, slot)()
        if source == "json":
            value = json.dumps(value)[1:-1]
        if slot[:1].isupper():  # `SECRET__password` is a SECRET made another way
            spans.append((length, length + len(value), slot.split("__")[0]))
        parts.append(value)
        length += len(value)
        pos = match.end()
    parts.append(template[pos:].replace("{{", "{").replace("}}", "}"))
    return Item(text="".join(parts), spans=tuple(spans), source=source)


def make_corpus(templates: dict[str, Sequence[str]], gen: Gen, per_template: int) -> list[Item]:
    """Every template filled `per_template` times, in a fixed order."""
    return [
        build(template, gen, source)
        for source, group in templates.items()
        for template in group
        for _ in range(per_template)
    ]


# -- scoring ----------------------------------------------------------------------------------


@dataclass
class KindScore:
    """Counts for one entity kind."""

    gold: int = 0
    found: int = 0  # gold entities a finding of the same kind covers at least half of
    protected: int = 0  # gold entities any finding covers at least half of
    predicted: int = 0
    correct: int = 0  # findings that overlap a gold entity of the same kind

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def protected_rate(self) -> float:
        return self.protected / self.gold if self.gold else 1.0


def _covered(start: int, end: int, findings: Sequence[Finding]) -> int:
    return sum(max(0, min(end, f.end) - max(start, f.start)) for f in findings)


def score(items: Sequence[Item], redactor: Redactor) -> dict[str, KindScore]:
    """Per-kind counts of the redactor's findings against the labels."""
    scores = {kind: KindScore() for kind in ENTITY_KINDS}
    for item in items:
        findings = redactor.find(item.text)
        for start, end, kind in item.spans:
            s = scores[kind]
            s.gold += 1
            same = [f for f in findings if f.kind == kind]
            if _covered(start, end, same) * 2 >= end - start:
                s.found += 1
            if _covered(start, end, findings) * 2 >= end - start:
                s.protected += 1
        for f in findings:
            s = scores[f.kind]
            s.predicted += 1
            if any(k == f.kind and f.start < e and f.end > b for b, e, k in item.spans):
                s.correct += 1
    return scores


def misses(items: Sequence[Item], redactor: Redactor, kind: str) -> list[str]:
    """The labelled values of `kind` that were not found (for reading, not for asserting)."""
    out: list[str] = []
    for item in items:
        findings = [f for f in redactor.find(item.text) if f.kind == kind]
        for start, end, k in item.spans:
            if k == kind and _covered(start, end, findings) * 2 < end - start:
                out.append(item.text[start:end])
    return out


def false_alarms(items: Sequence[Item], redactor: Redactor, kind: str) -> list[str]:
    """The text of `kind` findings that overlap no entity of that kind."""
    out: list[str] = []
    for item in items:
        for f in redactor.find(item.text):
            if f.kind == kind and not any(
                k == kind and f.start < e and f.end > b for b, e, k in item.spans
            ):
                out.append(f.value)
    return out


def table(scores: dict[str, KindScore]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| kind | entities | precision | recall | redacted (any kind) |",
        "|---|---|---|---|---|",
    ]
    total = KindScore()
    for kind, s in scores.items():
        lines.append(
            f"| {kind} | {s.gold} | {s.precision:.3f} | {s.recall:.3f} | {s.protected_rate:.3f} |"
        )
        total.gold += s.gold
        total.found += s.found
        total.protected += s.protected
        total.predicted += s.predicted
        total.correct += s.correct
    lines.append(
        f"| all | {total.gold} | {total.precision:.3f} | {total.recall:.3f} | "
        f"{total.protected_rate:.3f} |"
    )
    return "\n".join(lines)
