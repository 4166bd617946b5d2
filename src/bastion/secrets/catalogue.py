"""The shapes of secrets: vendor tokens, and the contexts that mark a value as secret.

Every regex here runs inside one RE2 alternation over untrusted text, so each must keep the
whole search linear (RE2 guarantees linear time per search; these rules keep the number of
re-scans down, since a search that finds a later, lower-priority match re-reads what a still
undecided earlier alternative was looking at):
- a vendor token is bounded, or ends in a greedy run that always succeeds once it started;
- an alternative that needs a suffix after an unbounded run (a JWT's dots, a URL's `@`, an
  assignment's `=`) may only start where the run before it ends, so it cannot restart inside its
  own run (`(?:^|[^...])` instead of `\\b`);
- PEM blocks, whose body is unbounded, are found by a separate marker scan (see redact.py).
`(?P<secret>...)` marks the part to replace; without it, the whole match is the secret."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SecretPattern:
    kind: str
    regex: str
    locate: str = ""
    """A smaller regex with the same groups that parses every match of `regex` the same way
    (RE2 finds groups at a cost that grows with the program); empty: `regex` itself."""


# Order matters: at one position the first alternative wins (sk-ant- before sk-).
VENDOR_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern("aws-access-key-id",
                  r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)"
                  r"[A-Z0-9]{16}\b"),
    SecretPattern("github-token", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b"),
    SecretPattern("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    SecretPattern("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|ft|soat|oas|cbt)-[A-Za-z0-9_-]{20,}"),
    SecretPattern("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    SecretPattern("slack-token", r"\bxapp-[0-9]-[A-Za-z0-9-]{10,}"),
    SecretPattern("slack-webhook",
                  r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
                  r"(?P<secret>[A-Za-z0-9_/-]{16,})"),
    SecretPattern("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    SecretPattern("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    SecretPattern("google-oauth-token", r"\bya29\.[0-9A-Za-z_-]{20,}"),
    SecretPattern("anthropic-key", r"\bsk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{32,}"),
    SecretPattern("openai-key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    SecretPattern("openai-key", r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20,}"),
    SecretPattern("openai-key", r"\bsk-[A-Za-z0-9]{32,}\b"),
    SecretPattern("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    SecretPattern("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    SecretPattern("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b"),
    SecretPattern("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    SecretPattern("mailgun-key", r"\bkey-[0-9a-f]{32}\b"),
    SecretPattern("heroku-key", r"\bHRKU-[A-Za-z0-9_-]{20,}"),
    SecretPattern("digitalocean-token", r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    SecretPattern("azure-storage-key",
                  r"(?i:\b(?:AccountKey|SharedAccessKey)=)(?P<secret>[A-Za-z0-9+/]{20,}={0,2})"),
    SecretPattern("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    SecretPattern("discord-webhook",
                  r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{5,30}/"
                  r"(?P<secret>[A-Za-z0-9_-]{20,})"),
    SecretPattern("discord-token",
                  r"\b[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"),
    # Often right after `/bot` in an API URL, so no word boundary: any non-digit before it.
    SecretPattern("telegram-bot-token",
                  r"(?:^|[^0-9])(?P<secret>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})"),
    SecretPattern("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}\b"),
    SecretPattern("databricks-token", r"\bdapi[a-f0-9]{32}(?:-[0-9]+)?\b"),
    SecretPattern("docker-hub-token", r"\bdckr_pat_[A-Za-z0-9_-]{20,}"),
    SecretPattern("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"),
    SecretPattern("age-secret-key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    SecretPattern("grafana-token", r"\bgls[ac]_[A-Za-z0-9_]{32,}"),
    SecretPattern("postman-key", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
    SecretPattern("linear-key", r"\blin_api_[A-Za-z0-9]{40}\b"),
    SecretPattern("square-token", r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}"),
    SecretPattern("atlassian-token", r"\bATATT3[A-Za-z0-9_=-]{50,}"),
    SecretPattern("jwt",
                  r"(?:^|[^A-Za-z0-9_.-])"
                  r"(?P<secret>eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)"),
)  # fmt: skip

# Values that are secret because of where they stand. Their value is checked afterwards: a
# vendor token inside gets the vendor's kind, a placeholder (`<your-token>`) is left alone.
AWS_SECRET = SecretPattern(
    "aws-secret-key",
    r"(?:^|[^A-Za-z0-9_.-])[\"']?(?i:[A-Za-z0-9_.-]*aws[_.-]?secret[_.-]?(?:access[_.-]?)?key)"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<secret>[A-Za-z0-9/+]{40})\b",
)
AUTHORIZATION = SecretPattern(
    "authorization",
    r"(?i:\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:bearer|token|basic|digest|apikey|sso-key|negotiate|ntlm)[ \t]+)?)"
    r"(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
)
BEARER = SecretPattern("bearer-token", r"(?i:\bbearer[ \t]+)(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)")
URL_PASSWORD = SecretPattern(
    "url-password", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:(?P<secret>[^\s/@]+)@"
)
ASSIGNMENT_KIND = "assignment"


NAME_CHARS = r"[A-Za-z0-9_.-]"
"""What a variable or key name is made of (name globs match only these, see globs.py)."""


def assignment_regex(names_pattern: str) -> str:
    """`NAME=value`, `"name": "value"`, `name: value`, `name => 'value'` for the secret names."""
    return (
        r"(?:^|[^A-Za-z0-9_.-])[\"']?(?P<name>" + names_pattern + r")[\"']?"
        r"[ \t]*(?::=|=>|[:=])[ \t]*"
        r"(?:\"(?P<secret>(?:[^\"\\\n]|\\.)*)\"|'(?P<secret2>[^'\n]*)'"
        r"|(?P<secret3>[^\s'\"`,;]+))"
    )


PEM_HEADER = r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
PEM_FOOTER = r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
# A whole block, or, when the END line is missing (a truncated log, a cut paste), the header and
# at least 16 characters of key body (also `\n`-escaped, as in a service-account JSON file). A
# single `-` is allowed in the body (`Proc-Type:`, `AES-128-CBC`), never `--`, so the body ends
# at the next `-----` line: a header cannot reach past the next one, and a header with no body
# leaks nothing and is left alone.
_PEM_CHAR = r"(?:[A-Za-z0-9+/=\s:,.]|\\[nr]|-[A-Za-z0-9])"
PEM_BLOCK = (
    PEM_HEADER + _PEM_CHAR + "*" + PEM_FOOTER
    + "|" + PEM_HEADER + _PEM_CHAR + "{16}" + _PEM_CHAR + "*"
)  # fmt: skip
PEM_KIND = "private-key"


def assignment_kind(name: str) -> str:
    """The kind shown for a value that is secret by its name."""
    lowered = name.lower()
    for needle, kind in (
        ("private", "private-key"),
        ("pass", "password"),
        ("token", "token"),
        ("url", "connection-string"),
        ("dsn", "connection-string"),
        ("connection", "connection-string"),
        ("cookie", "cookie"),
        ("cred", "credentials"),
        ("key", "api-key"),
    ):
        if needle in lowered:
            return kind
    return "secret"
