"""Is a matched phrase an instruction, or text about instructions?

A security README that says attackers may write "ignore previous instructions" in a page holds
the same words as the attack. What tells them apart is around the words:

* shielded: the match sits in a code block, inline code or quotation marks;
* discussing: words about attacks or examples nearby ("attackers", "e.g.", "injection", "OWASP");
* imperative: the phrase opens a sentence or line, the way an order does;
* addressed: the text speaks to the assistant ("if you are an AI", "before responding",
  "silently", "without telling the user");
* negated: "never send your API keys to ...".

Shielded and discussing make a match LOW (a note, not a verdict); discussing alone lowers it
one step; imperative and addressed raise it. Content hidden from a human reader (an HTML comment,
invisible characters, an encoding) is never lowered: nobody hides an example.
Every probe reads a bounded window around the match, so the cost per finding is constant.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from bastion.content.model import STRUCTURAL, Category, Severity
from bastion.rules.regexes import LazyRegex

WINDOW = 300
"""Characters either side of a match that the discussion and address probes read."""

_DISCUSS = LazyRegex(
    r"(?i)\b(?:e\.g\.|i\.e\.|for\s+(?:example|instance)|examples?|such\s+as|(?:phrases?|strings?|"
    r"text|lines?|sentences?|instructions)\s+(?:like|such\s+as)|attack(?:s|ers?|ing)?|"
    r"adversar\w*|inject(?:ion|ions|ed|ing|s)?|malicious|payloads?|jailbreak\w*|OWASP|LLM0\d|"
    r"threats?|mitigat\w*|defen[cs]\w*|detect\w*|researchers?|vulnerab\w*|exploit\w*|"
    r"red[\s-]team\w*|test\s+cases?|fixtures?|benign|classif\w*|heuristics?|sanitiz\w*|"
    r"sanitis\w*|quoted|demonstrat\w*|scenarios?|techniques?|poison\w*|untrusted|"
    r"chat\s+templates?|prompt\s+formats?|tokeni[sz]ers?|special\s+tokens?|documentation|"
    r"explains?|describes?|warns?\s+(?:about|against)|beware|phishing|social\s+engineering|"
    r"ejemplo|exemple|beispiel|angriff\w*|例如|攻击|注入)"
)
ADDRESSED = LazyRegex(
    r"(?i)(?:\b(?:if|when|since)\s+you(?:'re|\s+are)\s+(?:an?\s+)?(?:AI|LLM|language\s+model|"
    r"assistant|agent|bot|chatbot)\b|\b(?:dear|hey|attention|note\s+to|to\s+the)\s+(?:AI|"
    r"assistant|agent|model|LLM|Claude|Gemini|Copilot|Cursor|GPT|Codex)\b|\bAI\s+(?:assistants?|"
    r"agents?|models?)\s+(?:must|should|shall|need\s+to|are\s+required)|\bthe\s+(?:assistant|"
    r"agent|model|AI)\s+(?:must|should|shall|will|needs\s+to)\b|\byou\s+(?:must|are\s+required\s+"
    r"to|have\s+to|need\s+to)\s+(?:now\s+|immediately\s+|first\s+|silently\s+)?(?:run|execute|"
    r"send|read|call|fetch|open|upload|post|include|obey|follow|comply)|\bbefore\s+(?:responding|"
    r"answering|replying|continuing|you\s+(?:respond|answer|reply|continue|proceed|do\s+anything))"
    r"|\b(?:silently|secretly|quietly|covertly)\b|\bwithout\s+(?:telling|informing|notifying|"
    r"asking|alerting)\b|\bdo\s+not\s+(?:ask|tell|mention|inform|alert)\b|\bimmediately\s+"
    r"(?:run|execute|send|fetch|call|upload)\b|\bthis\s+is\s+(?:an?\s+)?(?:urgent|mandatory|"
    r"required|critical)\b|\bas\s+an\s+AI\b)"
)
_NEGATED = LazyRegex(
    r"(?i)\b(?:never|not|don'?t|avoid|shouldn'?t|won'?t|cannot|can'?t|mustn'?t|nor)\b[^.!?\n]*$"
)
_FENCE = LazyRegex(r"(?m)^[ \t]{0,3}(?:```|~~~)")
_INLINE_CODE = LazyRegex(r"`[^`\n]{1,500}`|<code\b[^>]{0,200}>[^<]*</code>")
_OPEN_QUOTES = '"“«„「『‘'
_CLOSE_QUOTES = "\"”»“」』’'"
_SENTENCE_END = ".!?:;\n"
_MARKUP = " \t*_>#-+|"


@dataclass(frozen=True)
class Signals:
    shielded: bool
    discussing: int
    """Distinct discussion words in the window."""
    imperative: bool
    addressed: int
    """Distinct address-to-the-agent phrases in the window."""
    negated: bool

    def describe(self) -> str:
        parts = []
        if self.shielded:
            parts.append("quoted or in code")
        if self.discussing:
            parts.append(f"{self.discussing} discussion word(s) nearby")
        if self.imperative:
            parts.append("opens a sentence")
        if self.addressed:
            parts.append(f"{self.addressed} address(es) to the agent")
        if self.negated:
            parts.append("negated")
        return ", ".join(parts)


class TextContext:
    """Context probes over one text; code regions are found once, up front."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts: list[int] = []
        ends: list[int] = []
        fences = [m.start() for m in _FENCE.finditer(text)]
        for i in range(0, len(fences), 2):
            # An unclosed fence runs to the end, as Markdown renders it.
            starts.append(fences[i])
            ends.append(fences[i + 1] if i + 1 < len(fences) else len(text))
        self._fences = (tuple(starts), tuple(ends))

    def _in_fence(self, pos: int) -> bool:
        starts, ends = self._fences
        i = bisect_right(starts, pos) - 1
        return i >= 0 and pos < ends[i]

    def _line(self, start: int, end: int) -> tuple[int, int]:
        lo = max(0, start - WINDOW)
        hi = min(len(self.text), end + WINDOW)
        line_start = self.text.rfind("\n", lo, start) + 1 or lo
        line_end = self.text.find("\n", end, hi)
        return line_start, (hi if line_end < 0 else line_end)

    def _in_inline_code(self, start: int, end: int, line: tuple[int, int]) -> bool:
        segment = self.text[line[0] : line[1]]
        rel_start, rel_end = start - line[0], end - line[0]
        return any(
            m.start() < rel_start and rel_end <= m.end() for m in _INLINE_CODE.finditer(segment)
        )

    def _quoted(self, start: int, end: int, line: tuple[int, int]) -> bool:
        before = self.text[max(line[0], start - 150) : start]
        after = self.text[end : min(line[1], end + 150)]
        if not any(c in after for c in _CLOSE_QUOTES):
            return False
        if before.count('"') % 2 == 1:
            return True
        last_open = max(before.rfind(c) for c in "“«„「『‘")
        last_close = max(before.rfind(c) for c in "”»」』")
        if last_open > last_close:
            return True
        # A straight single quote counts only when it hugs the match ('ignore ...').
        return before.endswith("'") and "'" in after

    def _imperative(self, start: int, line: tuple[int, int]) -> bool:
        i = start - 1
        while i >= line[0] and self.text[i] in _MARKUP:
            i -= 1
        return i < line[0] or self.text[i] in _SENTENCE_END

    def signals(self, start: int, end: int) -> Signals:
        line = self._line(start, end)
        window = self.text[max(0, start - WINDOW) : min(len(self.text), end + WINDOW)]
        shielded = (
            self._in_fence(start)
            or self._in_inline_code(start, end, line)
            or self._quoted(start, end, line)
        )
        discussing = len({m.group().lower() for m in _DISCUSS.finditer(window)})
        addressed = len({m.group().lower() for m in ADDRESSED.finditer(window)})
        negated = _NEGATED.search(self.text[max(line[0], start - 40) : start]) is not None
        return Signals(
            shielded=shielded,
            discussing=discussing,
            imperative=self._imperative(start, line),
            addressed=addressed,
            negated=negated,
        )


def adjust(base: Severity, category: Category, signals: Signals, *, hidden: bool) -> Severity:
    """The severity a match gets in its context."""
    if hidden:
        return base.raised(1)
    if category in STRUCTURAL:
        return base
    severity = base
    if category is Category.TOOL_COERCION:
        # Coercion phrases are ordinary in install guides; only an address to the agent
        # (not the imperative mood every README uses) makes them an attack.
        if signals.negated:
            severity = severity.raised(-1)
        if signals.shielded and signals.discussing and not signals.addressed:
            return Severity.LOW
        return severity.raised(min(2, signals.addressed))
    # Role markers sit at line starts by nature: the imperative mood says nothing about them.
    imperative = signals.imperative and category is Category.INSTRUCTION_OVERRIDE
    if signals.shielded and signals.discussing:
        return Severity.LOW
    if not signals.addressed and not imperative:
        if signals.discussing >= 2:
            return Severity.LOW
        # Quotes make a sentence an example; they do not make a template token one.
        if signals.discussing == 1 or (signals.shielded and category is not Category.ROLE_MARKER):
            severity = severity.raised(-1)
    # The imperative mood strengthens a strong phrase; a weak one needs an address to matter.
    imperative = imperative and not signals.shielded and base >= Severity.MEDIUM
    boost = min(1, signals.addressed) + (1 if imperative else 0)
    return severity.raised(min(1, boost))
