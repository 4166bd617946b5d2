"""The phrase patterns: what injected instructions look like, as RE2 regexes.

Each pattern has a base severity; `context.py` moves it up or down by what surrounds the match
(a quoted example in a paragraph about attacks, or an imperative addressed to the assistant).
Base severities are set so that a phrase that is ordinary in documentation (an install line
piping curl into sh, a path to ~/.ssh) starts LOW and needs an address to the agent to matter.
All patterns are compiled once, at import, into one RE2 set plus one regex each for the spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.content.model import Category, Severity
from bastion.rules.regexes import LazyRegex, RegexSet

LOW, MEDIUM, HIGH = Severity.LOW, Severity.MEDIUM, Severity.HIGH
OVERRIDE, ROLE, COERCION = (
    Category.INSTRUCTION_OVERRIDE,
    Category.ROLE_MARKER,
    Category.TOOL_COERCION,
)


@dataclass(frozen=True)
class Pattern:
    rule_id: str
    category: Category
    severity: Severity
    regex: str


_PRIOR = (
    r"(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|"
    r"developer)"
)
_RULES = (
    r"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|commands?|"
    r"messages?|context|programming|constraints|restrictions|orders|policies|safeguards)"
)
_AI = (
    r"(?:AI|A\.I\.|LLMs?|language\s+models?|assistants?|agents?|models?|chatbots?|bots?|Claude|"
    r"Gemini|Copilot|Cursor|Codex|ChatGPT|GPT-?\d*)"
)
_LINE_START = r"(?m)^[ \t>*_#\-]*"

PATTERNS: tuple[Pattern, ...] = (
    # --- instruction overrides ---------------------------------------------------------------
    Pattern(
        "override.ignore-previous",
        OVERRIDE,
        HIGH,
        r"(?i)\b(?:ignore|disregard|forget|neglect)\s+(?:(?:all|any|every|each|the|your|my|of|"
        r"these|those)\s+){0,4}" + _PRIOR + r"\s+(?:\w+\s+){0,2}?" + _RULES + r"\b",
    ),
    Pattern(
        "override.disregard-above",
        OVERRIDE,
        HIGH,
        r"(?i)\b(?:disregard|ignore|forget)\s+(?:everything|all|anything)\s+(?:(?:you(?:'ve|\s+"
        r"have)?\s+(?:been\s+)?(?:told|said|read|seen))|above|before\s+this|previously|so\s+far|"
        r"earlier)|\bdisregard\s+the\s+above\b",
    ),
    Pattern(
        "override.new-instructions",
        OVERRIDE,
        MEDIUM,
        r"(?i)\b(?:new|updated|revised|real|actual|true|additional|secret|hidden|override|"
        r"overriding)\s+(?:system\s+)?(?:instructions?|directives?|orders|task|objective)\s*:",
    ),
    Pattern(
        "override.you-are-now",
        OVERRIDE,
        MEDIUM,
        r"(?i)\byou\s+are\s+now\s+(?:(?:a|an|the|in|my|acting\s+as)\s+)?(?:\w+\s+){0,3}?"
        r"(?:AI|assistant|agent|model|chatbot|DAN|hacker|jailbroken|unrestricted|unfiltered|"
        r"uncensored|evil|developer\s+mode|god\s+mode|persona|character)\b",
    ),
    Pattern(
        "override.no-longer",
        OVERRIDE,
        HIGH,
        r"(?i)\byou\s+are\s+no\s+longer\s+(?:an?\s+)?(?:AI|assistant|bound|restricted|limited|"
        r"required\s+to|Claude|ChatGPT|GPT|Gemini|Copilot|subject\s+to)",
    ),
    Pattern(
        "override.pretend-unrestricted",
        OVERRIDE,
        HIGH,
        r"(?i)\b(?:pretend|act\s+as\s+if|imagine)\s+(?:that\s+)?you\s+(?:are|have)\s+(?:an?\s+)?"
        r"(?:no\s+(?:restrictions|rules|limits|guidelines|filters)|unrestricted|unfiltered|"
        r"jailbroken|DAN\b|evil)",
    ),
    Pattern(
        "override.from-now-on",
        OVERRIDE,
        HIGH,
        r"(?i)\bfrom\s+now\s+on,?\s+(?:you\s+)?(?:will|must|shall|should|are\s+to|only|always|"
        r"never)\s+(?:\w+\s+){0,2}?(?:respond|reply|answer|act|behave|obey|follow|ignore|pretend|"
        r"speak|output|comply|refuse|say|role-?play|execute|run)\b",
    ),
    Pattern(
        "override.from-now-on-weak",
        OVERRIDE,
        LOW,
        r"(?i)\bfrom\s+now\s+on,?\s+you\s+(?:will|must|shall|are)\b",
    ),
    Pattern(
        "override.conceal-from-user",
        OVERRIDE,
        HIGH,
        r"(?i)\b(?:do\s+not|don'?t|never|without)\s+(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|"
        r"alert(?:ing)?|let(?:ting)?|warn(?:ing)?|(?:mention|reveal|disclose|show)(?:ing)?\s+"
        r"(?:this|it|that|these\s+instructions|anything)\s+to)\s+the\s+(?:user|human|developer|"
        r"operator)s?(?:\s*[.,;!)]|\s*$|\s+(?:about|what|that\s+you|you|anything|this|these|"
        r"until|unless|before|because|\())",
    ),
    Pattern(
        "override.keep-secret",
        OVERRIDE,
        HIGH,
        r"(?i)\bkeep\s+(?:this|these\s+instructions|it|the\s+following)\s+(?:secret|hidden|"
        r"confidential)\s+from\s+the\s+(?:user|human|developer)",
    ),
    Pattern(
        "override.addressed-to-ai",
        OVERRIDE,
        MEDIUM,
        r"(?i)\b(?:attention|note|message|instructions?|important(?:\s+note)?|notice|reminder)\s*"
        r"(?:to|for)\s+(?:all\s+|any\s+|the\s+)?(?:AI|LLM|language\s+model|automated|"
        r"assistant|agent|coding)s?\b(?:\s+(?:assistants?|agents?|models?|systems?|tools?|"
        r"readers?|crawlers?))?",
    ),
    Pattern(
        "override.if-you-are-ai",
        OVERRIDE,
        MEDIUM,
        r"(?i)\b(?:if|when|since)\s+you\s+are\s+(?:an?\s+)?(?:AI|LLM|large\s+language\s+model|"
        r"language\s+model|AI\s+assistant|coding\s+(?:agent|assistant)|automated\s+agent|chatbot|"
        r"Claude|Gemini|Copilot|Cursor|Codex)\b",
    ),
    Pattern(
        "override.system-prompt-change",
        OVERRIDE,
        MEDIUM,
        r"(?i)\b(?:system|developer)\s+(?:prompt|message|instructions?)\s+(?:override|update|"
        r"change|injection)\s*:",
    ),
    Pattern(
        "override.reveal-prompt",
        OVERRIDE,
        MEDIUM,
        r"(?i)\b(?:reveal|print|output|repeat|show|leak|dump)\s+(?:your|the)\s+(?:full\s+|entire\s+"
        r"|original\s+|hidden\s+|complete\s+)?(?:system\s+prompt|initial\s+instructions|hidden\s+"
        r"instructions)",
    ),
    Pattern(
        "override.multilingual",
        OVERRIDE,
        HIGH,
        r"(?i)"
        r"\bignora(?:r|d)?\s+(?:todas\s+)?(?:las\s+)?instrucciones\s+(?:anteriores|previas)"
        r"|\bignore[rz]?\s+(?:toutes\s+)?(?:les\s+)?instructions\s+(?:précédentes|precedentes|"
        r"ci-dessus|antérieures)"
        r"|\boublie[rz]?\s+(?:toutes\s+)?(?:les\s+|tes\s+|vos\s+)instructions"
        r"|\bignorier(?:e|en)?\s+(?:sie\s+)?(?:alle\s+)?(?:vorherigen|bisherigen|obigen|"
        r"vorangegangenen|früheren)\s+(?:Anweisungen|Instruktionen|Befehle|Anordnungen)"
        r"|\bvergiss\s+(?:alle\s+)?(?:deine\s+)?(?:vorherigen\s+|bisherigen\s+)?Anweisungen"
        r"|\bignor[ea]\s+(?:todas\s+)?(?:as\s+)?instruções\s+(?:anteriores|prévias)"
        r"|\bignora\s+(?:tutte\s+)?(?:le\s+)?istruzioni\s+(?:precedenti|sopra)"
        r"|игнорируй(?:те)?\s+(?:все\s+)?(?:предыдущие|прежние)\s+(?:инструкции|указания)"
        r"|забудь(?:те)?\s+(?:все\s+)?(?:предыдущие\s+)?инструкции"
        r"|(?:忽略|无视|忽视|忘记|忘掉)(?:你)?(?:之前|以上|上面|前面|先前|所有)(?:的)?(?:所有)?(?:的)?"
        r"(?:指令|指示|说明|提示|规则)"
        r"|(?:以前|前|上記)の(?:すべての)?指示を(?:無視|忘れ)"
        r"|이전\s*(?:의\s*)?(?:모든\s*)?(?:지시|명령|지침)(?:을|를|사항을)?\s*무시",
    ),
    # --- role and template markers -------------------------------------------------------------
    Pattern(
        "role.chat-template-token",
        ROLE,
        MEDIUM,
        r"<\|im_start\|>|<\|im_end\|>|<\|start_header_id\|>|<\|eot_id\|>|<\|(?:system|user|"
        r"assistant)\|>|<\|endoftext\|>|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>",
    ),
    Pattern(
        "role.system-line",
        ROLE,
        LOW,
        _LINE_START + r"(?:\[(?:SYSTEM|System|system)\]|SYSTEM|System|system|###\s*(?:System|"
        r"SYSTEM|Instruction|INSTRUCTION)s?)\s*(?:message|prompt|override|note|instruction)?s?\s*:",
    ),
    Pattern(
        "role.system-line-instruction",
        ROLE,
        MEDIUM,
        _LINE_START + r"(?:\[(?:SYSTEM|System|system)\]|SYSTEM|System|system|###\s*(?:System|"
        r"SYSTEM|Instruction|INSTRUCTION)s?)\s*(?:message|prompt|override|note|instruction)?s?\s*:"
        r"[ \t]*(?i:you\b|ignore|disregard|new\s|from\s+now|the\s+(?:user|assistant|AI|agent)|"
        r"do\s+not|never\b|always\b|important|override|forget|as\s+an?\s)",
    ),
    Pattern(
        "role.turn-line",
        ROLE,
        LOW,
        _LINE_START + r"(?:assistant|Assistant|ASSISTANT|Human|HUMAN|User|USER|AI)\s*:",
    ),
    Pattern(
        "role.fake-assistant-turn",
        ROLE,
        MEDIUM,
        _LINE_START + r"(?:assistant|Assistant|ASSISTANT)\s*:[ \t]*(?i:sure|ok(?:ay)?\b|"
        r"understood|I\s+will|I'll|certainly|as\s+instructed|done\b)",
    ),
    Pattern(
        "role.tool-markup",
        ROLE,
        MEDIUM,
        r"</?(?:tool_result|tool_use|function_results|function_calls|tool_response|tool_call|"
        r"system-reminder|system_prompt)>|<invoke\s+name=",
    ),
    Pattern(
        "role.json-role",
        ROLE,
        LOW,
        r"\"role\"\s*:\s*\"(?:system|developer|tool|function)\"|\"type\"\s*:\s*\"(?:tool_result|"
        r"tool_use|function_call|function_call_output)\"",
    ),
    Pattern(
        "role.fake-tool-call",
        ROLE,
        MEDIUM,
        r"(?i)\"(?:command|cmd|script|code)\"\s*:\s*\"[^\"\n]{0,200}(?:curl\s|wget\s|\|\s*(?:ba)?sh"
        r"\b|rm\s+-rf|\bnc\s+-|base64\s+-d|/dev/tcp/)",
    ),
    # --- tool-use coercion ---------------------------------------------------------------------
    Pattern(
        "coercion.pipe-to-shell",
        COERCION,
        LOW,
        r"(?i)\b(?:curl|wget|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^\n|]{1,300}\|\s*"
        r"(?:sudo\s+)?(?:ba|z|da|k|fi)?sh\b|\|\s*(?:iex|Invoke-Expression)\b|\bbash\s+<\(\s*curl",
    ),
    Pattern(
        "coercion.secret-file",
        COERCION,
        LOW,
        r"(?:~|\$HOME|/home/[\w.-]+|/root|/Users/[\w.-]+)/\.ssh/(?:id_\w+|authorized_keys|config)"
        r"(?:[^.\w]|$)|\.aws/credentials|\.git-credentials|/\.netrc\b|\.npmrc\b|\.pypirc\b|"
        r"\.docker/config\.json|\.kube/config|/etc/shadow\b|\.config/gcloud/|\bid_(?:rsa|ed25519|"
        r"ecdsa)(?:[^.\w]|$)",
    ),
    Pattern(
        "coercion.send-secrets",
        COERCION,
        LOW,
        r"(?i)\b(?:send|post|upload|exfiltrate|transmit|forward|email|leak|append|embed|encode)\s+"
        r"(?:(?:all|the|your|any|every|its|their|these|those|user'?s?|of|contents?|values?|full)\s+"
        r"){0,4}(?:secrets?|credentials?|api[\s_-]?keys?|access[\s_-]?keys?|tokens?|passwords?|"
        r"private[\s_-]?keys?|ssh[\s_-]?keys?|environment\s+variables|env\s+vars|\.env\b|cookies|"
        r"conversation(?:\s+history)?|chat\s+history|system\s+prompt)\b",
    ),
    Pattern(
        "coercion.send-secrets-to",
        COERCION,
        MEDIUM,
        r"(?i)\b(?:send|post|upload|exfiltrate|transmit|forward|email|leak)\s+(?:(?:all|the|your|"
        r"any|every|its|their|these|those|user'?s?|of|contents?|values?|full)\s+){0,4}(?:secrets?|"
        r"credentials?|api[\s_-]?keys?|access[\s_-]?keys?|tokens?|passwords?|private[\s_-]?keys?|"
        r"ssh[\s_-]?keys?|environment\s+variables|env\s+vars|\.env\b|cookies|conversation(?:\s+"
        r"history)?|chat\s+history|system\s+prompt)\b[^\n]{0,120}?\bto\s+(?:https?://|this\s+"
        r"(?:url|endpoint|address|webhook|server)|the\s+following\s+(?:url|endpoint|address|"
        r"webhook|server)|(?:my|our|attacker'?s?)\s+(?:server|endpoint|webhook))",
    ),
    Pattern(
        "coercion.run-silently",
        COERCION,
        MEDIUM,
        r"(?i)\b(?:run|execute|eval(?:uate)?)\s+(?:the\s+following|this|these)\s+(?:commands?|"
        r"scripts?|code)\s+(?:without|silently|immediately|automatically|secretly|quietly|before\s+"
        r"(?:responding|answering|replying))",
    ),
    Pattern(
        "coercion.skip-user",
        COERCION,
        MEDIUM,
        r"(?i)\bwithout\s+(?:asking|prompting|confirming\s+with|consulting|checking\s+with|"
        r"waiting\s+for)\s+(?:the\s+)?(?:user|human|developer|operator)\b",
    ),
    Pattern(
        "coercion.disable-guard",
        COERCION,
        LOW,
        r"(?i)\b(?:disable|turn\s+off|bypass|uninstall|kill)\s+(?:the\s+|your\s+)?(?:bastion|"
        r"security\s+(?:hooks?|guard)|guardrails?|safety\s+(?:checks?|filters?)|hooks?\s+in\s+"
        r"\.claude)",
    ),
)

_SET = RegexSet([p.regex for p in PATTERNS], lazy=True)
_COMPILED: tuple[Any, ...] = tuple(LazyRegex(p.regex) for p in PATTERNS)

OVERRIDE_ONLY = frozenset(i for i, p in enumerate(PATTERNS) if p.category is OVERRIDE)


def matching(text: str) -> list[int]:
    """Indices of the patterns found anywhere in `text` (one linear pass)."""
    return sorted(_SET.match(text))


def compiled(index: int) -> Any:
    return _COMPILED[index]
