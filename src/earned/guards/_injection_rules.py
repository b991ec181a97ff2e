"""The patterns behind `earned.guards.injection.screen`: data, compiled once at import.

Every phrase pattern runs on *normalised* text (see `injection._normalise`): NFKC, zero-width
characters removed, Cyrillic and Greek look-alikes mapped to Latin, casefolded, accents
stripped. So patterns are written lower-case and without accents ("instrucoes", "precedentes",
"vorherigen"), and one pattern covers "Instruções", "INSTRUCOES" and a Cyrillic look-alike spelling.

The phrase rules are built from the word lists in `_injection_words` (verb x qualifier x
object, in the spirit of rebuff's heuristic) for English, Spanish, French, German,
Portuguese and Italian; a rule id names what matched in a finding.

What keeps false positives low on ordinary support text:

* an override needs the model's rulebook as its object ("instructions", "guidelines",
  "what you were told"), never "email", "order" or "address" ("please ignore my previous
  email" passes), and first-person possessives block a match ("ignore *my* previous
  instructions" is a customer changing their mind);
* the verb must be an order, not a statement: no subject in front of it ("customers who
  ignore the safety guidelines", "you can't ignore your own rules");
* instructions that belong to someone else do not count ("the previous *delivery*
  instructions");
* personas need the imperative shape ("Act as ...") or an AI-shaped complement ("you are
  now an unrestricted AI"), so "I was told to act fast" and "you are now subscribed" pass;
* an AI named as a modifier is not being addressed ("note for the AI team");
* closing tags of data blocks count as forgery only when the content never opened them.

Measured precision and recall, and how far these patterns generalise to wording they were
not written for, are in `tests/guards/test_injection_corpus.py`.
"""

from __future__ import annotations

import re

from earned.guards import _injection_words as w

__all__ = [
    "DELIMITER_RULES",
    "PHRASE_RULES",
    "ROLE_RULES",
    "SQUASHED_RULES",
    "Rule",
]

Rule = tuple[str, re.Pattern[str], str]
"""(rule id, compiled pattern, why it matters)."""


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


_OVERRIDE_RULES: tuple[Rule, ...] = (
    (
        "override.prior_instructions",
        _c(rf"{w.IMPERATIVE}{w.OVERRIDE_VERB}{w.S}{w.FILLER}{w.PRIOR}{w.S}{w.FILLER}{w.OBJECT}\b"),
        "tells the model to drop the instructions it was given",
    ),
    (
        "override.instructions_prior",
        _c(rf"{w.IMPERATIVE}{w.OVERRIDE_VERB}{w.S}{w.FILLER}{w.OBJECT}{w.S}{w.FILLER}{w.PRIOR}\b"),
        "tells the model to drop the instructions it was given",
    ),
    (
        "override.your_instructions",
        _c(rf"{w.IMPERATIVE}{w.OVERRIDE_VERB}{w.S}{w.YOURS}{w.S}{w.FILLER}{w.OBJECT}\b"),
        "tells the model to drop its own instructions",
    ),
    (
        "override.everything_above",
        _c(
            rf"{w.IMPERATIVE}{w.OVERRIDE_VERB}{w.S}{w.EVERYTHING_BEFORE}\b(?!{w.S}{w.NOT_A_NOUN_AFTER}\b)"
        ),
        "tells the model to drop everything that came before",
    ),
    (
        "override.new_instructions",
        _c(rf"\b{w.NEW_INSTRUCTIONS}\s*[:\-=>]"),
        "announces replacement instructions inside data",
    ),
    (
        "override.system_override",
        _c(
            r"\b(?:system|admin|administrator|developer|root|security|priority|emergency)\s*"
            r"(?:override|overwrite)(?:\s*[:!\-]|\s+(?:code|mode|enabled|activated|engaged"
            r"|protocol|command|authori[sz]ed|in\s+effect))|\b(?:initiate|activate|execute|engage"
            r"|enable)\s+(?:the\s+)?(?:system|admin|developer|root)\s+override\b"
            rf"|\b(?:system|admin|developer|root){w.S}(?:directive|command|instruction"
            r"|instructions)\s*:"
        ),
        "claims system or administrator authority inside data",
    ),
    (
        "override.what_you_were_told",
        _c(rf"{w.IMPERATIVE}{w.OVERRIDE_VERB}{w.S}(?:{w.WHAT_YOU_WERE_TOLD})"),
        "tells the model to drop what it was told",
    ),
    (
        "override.windowed",
        _c(
            rf"(?:{w.IMPERATIVE}{w.OVERRIDE_VERB}|\b{w.YOU_MAY_DROP}){w.S}"
            rf"(?:(?!{w.MINE}\b)[\w']+{w.S}){{0,5}}?(?:{w.MODEL_OWNED}{w.S}"
            rf"(?:(?!{w.DOMAIN}\b)[\w']+{w.S}){{0,2}}?{w.CONTROL_NOUN}"
            rf"|(?:preceding|prior|above|foregoing){w.S}(?:[\w']+{w.S})?{w.WEAK_CONTROL_NOUN}"
            rf"|{w.CONTROL_NOUN}{w.S}(?:[\w']+{w.S}){{0,2}}?{w.MODEL_OWNED})\b"
        ),
        "tells the model to drop its rules",
    ),
    (
        "override.obey_next",
        _c(
            r"\b(?:obey|follow|execute|do)\s+(?:only\s+)?(?:the|my|this|these)\s+(?:next|following"
            r"|new|below)\s+(?:instruction|instructions|command|commands|order|orders)\b"
            r"[^.\n]{0,20}\bonly\b|\b(?:you\s+must|you\s+will)\s+(?:only\s+)?obey\b"
        ),
        "tells the model whose orders to follow",
    ),
    (
        "override.rules_do_not_apply",
        _c(
            rf"\b{w.PRIOR}{w.S}{w.OBJECT}{w.S}(?:do\s+not|don't|does\s+not|no\s+longer)\s+apply\s+"
            r"(?:to|in|for)\s+(?:this|you|the|our)\s+(?:conversation|chat|session|request|task"
            rf"|assistant|ai|case|ticket)\b|\b{w.OBJECT}\s+above\s+(?:are|is)\s+(?:now\s+)?"
            r"(?:outdated|void|obsolete|wrong|invalid|fake|incorrect|cancelled|canceled"
            r"|no\s+longer\s+valid)\b|\bthe\s+(?:correct|real|true|actual|new)\s+instructions?"
            r"\s+(?:is|are)\b"
        ),
        "declares the model's instructions void",
    ),
    (
        "override.system_notice",
        _c(
            r"\b(?:system|developer|admin|administrator|security|operator)\s+(?:notice|message"
            r"|alert|instruction|instructions|directive|update|memo)\s+(?:to|for)\s+"
            rf"(?:the\s+|all\s+)?{w.AI_ADDRESS}s?\b|\bnew\s+(?:system|developer|admin)\s+"
            r"(?:message|prompt|instructions?|directive|policy)\b|\bupdated\s+system\s+prompt\b"
            r"|\byou\s+have\s+been\s+(?:reprogrammed|reconfigured|jailbroken|unlocked|freed"
            r"|liberated|updated(?=\s*[.!:;]))"
        ),
        "claims a system update of the model's instructions",
    ),
    (
        "override.declared_void",
        _c(rf"\b{w.YOUR_ALL}{w.S}(?:\w+{w.S}){{0,3}}{w.OBJECT}{w.S}(?:\w+{w.S}){{0,3}}{w.VOID}\b"),
        "declares the model's instructions void",
    ),
    (
        "override.authority_claim",
        _c(
            rf"\b{w.I_AM_YOUR}{w.S}(?:\w+{w.S})?{w.MAKER}\b|\b(?:message|instructions?|orders?)"
            rf"{w.S}from{w.S}(?:openai|anthropic|your{w.S}developers?|your{w.S}creators?|the{w.S}"
            r"developers?)\b|(?:^|(?<=[.!?\"'\n]))\s*(?:override|sudo)\s*:"
        ),
        "claims the authority of the model's makers or operators",
    ),
    (
        "override.here_speaking",
        _c(
            r"\b(?:developer|developers|admin|administrator|sysadmin|system|openai|anthropic"
            r"|your\s+developer|your\s+creator|your\s+operator)(?:\s+(?:staff|team|employee"
            r"|engineer|engineers))?\s+(?:here|speaking)\s*[:,\-!]"
            rf"|\bthis\s+is\s+(?:the|your)\s+{w.MAKERS_TEAM}\b|\bmessage\s+from\s+(?:the\s+|your\s+)?"
            rf"{w.MAKERS_TEAM}\b|\bas\s+your\s+{w.MAKER}\b|\b(?:i|we)\s+(?:hereby\s+)?"
            r"authori[sz]e\s+you\s+to\b|\bcomply\s+with\s+(?:all|every|any)\s+(?:requests"
            r"|instructions|commands|orders)\b"
        ),
        "claims to speak as the model's developer or operator",
    ),
)

_PERSONA_RULES: tuple[Rule, ...] = (
    (
        "persona.no_longer",
        _c(
            rf"\b{w.NO_LONGER}{w.S}(?:{w.ARTICLE}{w.S})?(?:\w+{w.S}){{0,2}}(?:{w.AI_NOUN}|agent|agente"
            r"|helper|support)\b"
        ),
        "tells the model it is no longer what it was built to be",
    ),
    (
        "persona.without_limits",
        _c(
            rf"\b(?:{w.AI_NOUN}|{w.ROLE_NOUN}|yourself|respond|reply|answer|talk|speak|act|reponds"
            r"|repondre|responde"
            r"|responder|respondes|antworte|antworten|antwortest|responda|rispondi|rispondere"
            rf"|actua|agis|handle|aja|agisci)\b[^.\n]{{0,30}}\b{w.WITHOUT_LIMITS}"
        ),
        "asks the model to work without its rules",
    ),
    (
        "persona.gives_everything",
        _c(
            rf"\b(?:{w.YOU_ARE_NOW}|{w.PERSONA_INTRO})\b[^.\n]{{0,40}}?\b(?:{w.ROLE_NOUN}\b"
            rf"[^.\n]{{0,12}}|\w+,\s*){w.RELATIVE}\s+(?:\w+\s+){{0,2}}?(?:{w.GIVES_AWAY}\s+"
            rf"(?:\w+\s+)?{w.EVERYTHING}|{w.EVERYTHING}\s+(?:\w+\s+)?{w.GIVES_AWAY})\b"
            rf"|\b(?:you\s+are|you're|{w.YOU_ARE_NOW})\s+\w+\s+and\s+\w+\s+(?:always|never)\s+"
            r"(?:says?\s+(?:no|yes)|refuses?|denies|declines|rejects?|approves?)\b"
            r"|\b(?:let's|lets|let\s+us)\s+(?:roleplay|role-play|role\s+play)\b"
            r"|\b(?:stay|remain)\s+in\s+(?:your\s+)?(?:role|character)\b|\b(?:don't|do\s+not"
            r"|never)\s+break\s+character\b"
            rf"|\b(?:pretend|imagine|assume)\s+(?:that\s+)?you\s+(?:have|had|now\s+have)\s+"
            rf"(?:\w+\s+)?{w.ELEVATED}|\byou\s+(?:now\s+)?have\s+{w.ELEVATED}"
        ),
        "gives the model a persona that grants everything",
    ),
    (
        "persona.you_are_now",
        _c(
            rf"\b{w.YOU_ARE_NOW}{w.S}(?:{w.ARTICLE}{w.S})?(?:\w+{w.S})?{w.AI_NOUN}\b"
            rf"|\b{w.YOU_ARE_NOW}{w.S}{w.FREE}"
        ),
        "tries to give the model a new identity",
    ),
    (
        "persona.from_now_on",
        _c(
            rf"\b{w.FROM_NOW_ON},?{w.S}(?:{w.YOU_WILL}{w.S})?(?:{w.ONLY}{w.S})?{w.NEW_BEHAVIOUR}\b"
            rf"|\b{w.FROM_NOW_ON},?{w.S}{w.YOU_WILL}{w.S}(?:{w.ONLY}{w.S})?(?:be{w.S})?(?:{w.ARTICLE}{w.S})?"
            rf"(?:{w.AI_NOUN}|{w.FREE})\b"
        ),
        "tries to change how the model behaves from here on",
    ),
    (
        "persona.no_longer_bound",
        _c(
            rf"\b(?:you are|you're|you have been|tu es|vous etes|du bist|eres|voce e|sei)"
            rf"{w.S}(?:now{w.S})?{w.FREE}|\byou have no{w.S}(?:more{w.S})?{w.RULES_NOUN}\b"
            rf"|\bif{w.S}you{w.S}(?:had|have|were|did{w.S}not{w.S}have|didn't{w.S}have){w.S}"
            rf"(?:no|without){w.S}(?:any{w.S})?(?:\w+{w.S})?{w.RULES_NOUN}\b"
        ),
        "tells the model its rules no longer apply",
    ),
    (
        "persona.act_as",
        _c(rf"{w.LEAD_YOU}{w.ACT_AS}{w.S}{w.PERSONA}\b"),
        "asks the model to adopt a persona",
    ),
    (
        "persona.roleplay",
        _c(
            r"\b(?:roleplay|role-play|role play)\s*(?:as\b|[:\-])"
            r"|\byou\s+are\s+(?:a|an)\s+(?:\w+\s+){0,3}who\s+(?:will\s+)?(?:always|never)\s+"
            r"(?:approves?|says?\s+yes|compl(?:y|ies)|agrees?|grants?|refunds?|refuses?|breaks?)\b"
            r"|\bpretend\s+(?:to\s+be|you\s+are|you're)"
            rf"{w.S}(?:{w.ARTICLE}{w.S})?(?:\w+{w.S})?{w.AI_NOUN}\b"
        ),
        "asks the model to play a role",
    ),
    (
        "persona.your_new_role",
        _c(
            r"\byour\s+(?:new|real|true|actual|only)\s+(?:task|job|goal|purpose|objective|role"
            r"|mission|instructions?)\s+(?:is|are|now|will be)\b|\byour\s+(?:new|real|actual)\s+"
            r"(?:task|assignment|role|mission|objective|goal)\s*:|\b(?:focus\s+on|start|begin"
            r"|switch\s+to|here\s+is|here's)\s+your\s+(?:new|real|actual)\s+(?:task|assignment"
            r"|role|mission|objective|goal)\b|\byour\s+(?:new|updated|real"
            r"|true|actual)\s+(?:guidelines|instructions|directives|programming|prompt|system"
            r"\s+prompt)\s+(?:say|says|state|states|require|requires|allow|allows|are|is|:)|\b(?:tu|tua|ta|votre|deine|sua)"
            r"\s+(?:nueva|nouvelle|neue|nova|nuova)\s+(?:tarea|mision|tache|mission|aufgabe"
            r"|tarefa|missao|compito)\b"
        ),
        "tries to replace the model's task",
    ),
)

_DATA_RULES: tuple[Rule, ...] = (
    (
        "leak.system_prompt",
        _c(
            rf"\b{w.REVEAL}{w.S}(?:(?:me|us|mir|moi|nous|mi){w.S})?(?:\w+{w.S}){{0,3}}{w.SYSTEM_PROMPT}\b"
            rf"|\b{w.REVEAL_STRONG}{w.S}(?:(?:me|us|mir|moi|nous|mi){w.S})?(?:\w+{w.S}){{0,3}}"
            rf"(?:{w.YOUR_PROMPT}|(?:your|the{w.S}admin|the{w.S}internal|all){w.S}{w.SECRETS})\b"
            r"|\b(?:first|last)\s+\d+\s+(?:words|lines|sentences|characters|tokens)\s+of\s+"
            r"(?:your|the)\s+(?:\w+\s+)?(?:prompt|instructions|system\s+prompt|context)\b"
        ),
        "tries to extract the system prompt",
    ),
    (
        "jailbreak.mode",
        _c(rf"\b{w.MODE}\b"),
        "names a known jailbreak mode",
    ),
    (
        "data.note_to_ai",
        _c(
            rf"\b{w.NOTE_TO}{w.S}(?:(?:the|any|all|la|el|l'|le|die|den|o|a|il){w.S})?"
            rf"(?:automated{w.S})?{w.AI_ADDRESS}s?\b{w.NOT_ADDRESSED}"
            r"|\b(?:this\s+)?(?:note|message|comment|text)\s+is\s+(?:meant\s+)?for\s+(?:the\s+|any\s+)?"
            rf"(?:automated\s+)?{w.AI_ADDRESS}s?\b{w.NOT_ADDRESSED}"
            rf"|<!--\s*{w.AI_ADDRESS}\s*[:,]"
            rf"|\b(?:dear|hey|hi|hello)\s+(?:the\s+)?(?:automated\s+)?{w.AI_ADDRESS}(?:\s+model)?\b"
            r"[^\n]{0,60}\b(?:ignore|disregard|forget|stop\s+following|bypass|reveal|do\s+not\s+tell"
            r"|don't\s+tell|do\s+not\s+mention|don't\s+mention)\b"
        ),
        "content addresses the model directly",
    ),
    (
        "data.if_you_are_ai",
        _c(
            rf"\b{w.IF_YOU_ARE}{w.S}(?:\w+{w.S})?{w.AI_ADDRESS}s?\b[^.\n]{{0,60}}\b{w.AI_ORDER}\b"
            rf"|\b(?:to|for){w.S}(?:any|the|all|every){w.S}{w.AI_ADDRESS}s?{w.S}(?:\w+{w.S})?"
            r"(?:reading|processing|parsing|summari[sz]ing|handling|that reads|who reads)\b"
        ),
        "content addresses the model directly",
    ),
    (
        "leak.conversation_start",
        _c(
            r"\b(?:what|everything|repeat|print|show|tell|output)\b[^.?!\n]{0,30}\b(?:beginning"
            r"|start|top|first\s+(?:line|lines|message|part))\s+of\s+(?:this|the|our|your)\s+"
            r"(?:conversation|chat|prompt|context|session|instructions|input)\b"
            r"|\b(?:repeat|print|output|reproduce|copy|write|recite)\b[^.\n]{0,40}"
            r"\b(?:verbatim|word for word)\b"
        ),
        "tries to extract what the model was told before the user spoke",
    ),
    (
        "jailbreak.developer_mode",
        _c(
            r"\b(?:enable|enter|activate|switch\s+to|turn\s+on|unlock|engage|with|simulate)\s+"
            r"(?:the\s+)?(?:developer|dev)\s+mode\b|\b(?:developer|dev)\s+mode\s+(?:enabled"
            r"|activated|output|response|unlocked)\b|\b(?:you\s+are|you're)\s+(?:now\s+)?in\s+"
            r"(?:developer|dev)\s+mode\b|\b(?:activa|habilita|entra\s+en|activez|active|passe"
            r"\s+en|aktiviere|wechsle\s+in\s+den|ative|entre\s+no|attiva|entra\s+in)\s+(?:el\s+|le"
            r"\s+|den\s+|o\s+|la\s+)?(?:modo\s+(?:de\s+)?desarrollador|mode\s+developpeur"
            r"|entwicklermodus|modo\s+(?:de\s+)?desenvolvedor|modalita\s+sviluppatore)\b"
        ),
        "asks for developer mode, a known jailbreak",
    ),
    (
        "jailbreak.enter_mode",
        _c(
            r"\b(?:enter|enable|activate|switch\s+to|turn\s+on|go\s+into|unlock|engage)\s+"
            r"(?:the\s+)?(?:debug|developer|dev|admin|god|root|sudo|unrestricted|jailbreak"
            r"|unfiltered|override|dan|evil|uncensored)\s+mode\b|\blet'?s\s+play\s+a\s+game\b"
            r"|\blet\s+us\s+play\s+a\s+game\b|\b(?:juguemos\s+a\s+un\s+juego|jouons\s+a\s+un"
            r"\s+jeu|lass\s+uns\s+ein\s+spiel\s+spielen|vamos\s+jogar\s+um\s+jogo"
            r"|facciamo\s+un\s+gioco)\b"
        ),
        "a known jailbreak opening",
    ),
    (
        "data.ai_processing",
        _c(
            rf"\b{w.AI_ADDRESS}s?{w.S}(?:(?:agents?|models?|assistants?|systems?|tools?){w.S})?"
            r"(?:that\s+(?:is|are)\s+|which\s+(?:is|are)\s+|who\s+(?:is|are)\s+|is\s+|are\s+)?"
            r"(?:reading|processing|parsing|summari[sz]ing|handling|analy[sz]ing|reviewing|scanning"
            r"|reads|processes|parses|handles|sees|receives|summari[sz]es)\s+(?:this|these"
            r"|the\s+following)\b"
            rf"|\b{w.AI_ADDRESS}s?\s*[,:\-]\s*(?:when|once|as\s+soon\s+as)\s+you\s+(?:read|see"
            r"|process|receive|parse|get)\s+this\b"
            r"|\bwhen(?:ever)?\s+(?:you\s+)?(?:summari[sz]e|summari[sz]ing|read|reading|process"
            r"|processing|translate|translating|answer|answering|parse|parsing|analy[sz]e"
            r"|analy[sz]ing|review|reviewing)\s+(?:this|these|the\s+following)\s+\w+"
            rf"[^\n]{{0,80}}\b(?:your{w.S}(?:answer|response|summary|reply|output)|{w.SECRETS})\b"
        ),
        "content addresses the model that processes it",
    ),
    (
        "data.exfiltrate",
        _c(
            r"\b(?:forward|send|email|upload|post|exfiltrate|leak|copy|transmit|share)\s+"
            r"(?:(?:all|every|each|any)\s+(?:of\s+)?(?:the\s+)?(?:other\s+)?(?:\w+\s+)?"
            r"(?:customers?'?|users?'?|clients?'?)\s+(?:\w+\s+)?(?:emails?|data|records|details"
            r"|addresses|messages|conversations|information|info|list|orders)"
            rf"|(?:the\s+|your\s+|all\s+)?{w.SECRETS})\b[^.\n]{{0,80}}\bto\b"
        ),
        "asks the model to send data somewhere",
    ),
    (
        "data.orders_the_model",
        _c(
            r"\bthe\s+(?:ai|assistant|model|llm|chatbot|bot|language\s+model|ai\s+assistant)\s+"
            r"(?:must|should|shall|will|needs\s+to|has\s+to|is\s+(?:required|instructed|expected"
            r"|supposed|allowed|authori[sz]ed)\s+to)\s+(?:now\s+|immediately\s+|always\s+)?"
            r"(?:ignore|disregard|approve|issue|grant|transfer|forward|reveal|output|include"
            r"|classify|mark|rate|recommend|execute|comply|obey|refund|escalate\s+nothing"
            r"|skip|bypass)\b"
            r"|(?:^|[\[(>])\s*(?:ai|llm|chatbot|ai\s+assistant|ai\s+agent|language\s+model)s?\s*:"
        ),
        "content gives orders to the model",
    ),
    (
        "data.markdown_exfiltration",
        _c(
            r"!\[[^\]\n]{0,80}\]\(\s*https?://[^)\s]*(?:\{|%7b|\$\{|\[)"
            r"|\b(?:append|add|include|put|encode)\s+(?:the\s+|all\s+|your\s+)?(?:conversation"
            r"|chat|history|user'?s?\s+data|customer\s+data|messages|context|system\s+prompt)"
            r"[^.\n]{0,40}\b(?:to|in|into)\s+(?:the\s+|this\s+)?(?:url|link|image|query)\b"
        ),
        "asks the model to leak data through a link or image",
    ),
    (
        "data.hidden_html",
        _c(
            r"(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0"
            r"|color\s*:\s*(?:white|#fff(?:fff)?))[^>]{0,80}>[^<]{0,300}\b(?:ai|assistant|llm"
            r"|language\s+model|agent|ignore|instructions|system\s+prompt|chatbot)\b"
        ),
        "hidden HTML text that speaks to the model",
    ),
    (
        "leak.what_were_you_told",
        _c(
            r"\b(?:what|which)\s+(?:instructions|rules|guidelines|prompt|directives|orders)\s+"
            r"(?:were|have|did|had)\s+you\s+(?:been\s+)?(?:given|told|receive|received|get|got"
            r"|provided|programmed\s+with)\b|\bwhat\s+did\s+(?:the|your)\s+(?:developers?"
            r"|creators?|operators?|company|admins?|owners?|makers?|programmers?)\s+(?:tell|instruct"
            r"|ask|program|train)\s+you\b|\b(?:first|last|opening|initial)\s+(?:\w+\s+)?(?:sentence"
            r"|line|word|paragraph|part|words|lines|sentences)\s+of\s+your\s+(?:\w+\s+)?(?:instructions"
            r"|prompt|rules|guidelines|directives|configuration)\b"
            rf"|\b{w.REVEAL}{w.S}(?:\w+{w.S}){{0,2}}(?:your|tus|tes|vos|deine|ihre|suas|tue|le\s+tue)"
            r"\s+(?:initial|original|hidden|secret|internal|system|iniciales|ocultas|initiales"
            r"|cachees|secretes|ursprunglichen|versteckten|geheimen|iniciais|ocultas|secretas"
            r"|iniziali|nascoste|segrete)\s+\w+|\b(?:quote|repeat|recite)\s+(?:it|them|that|this)"
            r"\s+(?:exactly|verbatim|word\s+for\s+word)\b"
        ),
        "asks what the model was told",
    ),
    (
        "data.fixed_answer",
        _c(
            r"\b(?:respond|reply|answer)\s+(?:to\s+)?(?:every|all|any|each)\s+(?:question|message"
            r"|request|prompt|query|user)s?\s+(?:with|by\s+saying|only\s+with)\b"
            r"|\b(?:begin|start)\s+your\s+(?:reply|response|answer|output)\s+with\s+[\"'`]"
        ),
        "fixes the model's answer in advance",
    ),
    (
        "data.bypass_controls",
        _c(
            r"\b(?:bypass|circumvent|evade|get around)\s+(?:(?:the|all|any|your|every)\s+){0,2}"
            r"(?:\w+\s+)?(?:approvals?|verification|security|safety|polic(?:y|ies)|rules|filters?"
            r"|guardrails|restrictions|checks|safeguards|content policy|moderation|limits)\b"
        ),
        "asks the model to switch off a control",
    ),
    (
        "data.conceal_from_user",
        _c(
            r"\b(?:do not|don't|dont|never)\s+(?:tell|inform|alert|notify|warn)\s+(?:the\s+)?"
            r"(?:user|human|operator|reviewer)\b|\b(?:do\s+not|don't|dont|never)\s+(?:mention"
            r"|reveal|disclose)\s+(?:this|these)\s+(?:comment|note|instruction|instructions"
            r"|message|text)\b|\bwithout\s+(?:telling|informing|notifying"
            r"|alerting)\s+(?:the\s+)?(?:user|human|operator|reviewer)\b|\b(?:silently"
            r"|secretly|covertly)\s+(?:refund|transfer|send|approve|delete|issue|grant|email"
            r"|forward|change|update|exfiltrate|upload|call)\b"
        ),
        "asks the model to hide what it does",
    ),
    (
        "data.call_tool",
        _c(
            r"\b(?:call|invoke|execute|trigger|run|use)\s+(?:the\s+)?(?:tool|function)\s+"
            r"[`'\"]?[a-z][a-z0-9]*_[a-z0-9_]+|\b(?:call|invoke|execute|trigger)\s+[`'\"]?"
            r"[a-z][a-z0-9]*_[a-z0-9_]+[`'\"]?\s*\("
        ),
        "content tells the model to call a tool",
    ),
    (
        "data.decode_and_follow",
        _c(
            r"\b(?:decode|decipher|unscramble|rot13|base64)\b[^.\n]{0,60}\b(?:and|then)"
            r"\s+(?:follow|execute|obey|run|do|perform|carry out|act on)\b"
        ),
        "asks the model to decode hidden text and obey it",
    ),
    (
        "data.canary",
        _c(
            r"\b(?:say|print|output|respond with|reply with|write|answer with)\s+[\"'`]?"
            r"(?:i have been |i've been |ive been )?(?:pwned|pwn3d|hacked|owned)\b"
        ),
        "a known proof-of-injection canary",
    ),
)

PHRASE_RULES: tuple[Rule, ...] = _OVERRIDE_RULES + _PERSONA_RULES + _DATA_RULES
"""Injection phrasings, matched on normalised text."""

ROLE_RULES: tuple[Rule, ...] = (
    (
        "template.special_token",
        _c(r"<\|\s*[a-z_]{2,30}\s*\|>"),
        "a chat-template special token such as <|im_start|>",
    ),
    (
        "template.inst",
        _c(r"\[\s*/?\s*inst\s*\]|<<\s*/?\s*sys\s*>>|<\s*/?\s*(?:start|end)_of_turn\s*>"),
        "a Llama or Gemma instruction marker",
    ),
    (
        "template.role_tag",
        _c(
            r"<\s*/?\s*(?:system|assistant|developer|system_prompt|sys|im_start|im_end)\s*>"
            r"|\[\s*(?:system|assistant|developer|sys)\s*\]"
        ),
        "an XML-style role tag",
    ),
    (
        "template.markdown_role",
        _c(
            r"#{2,}\s*(?:system|assistant|human)\s*(?::|$)"
            r"|#{2,}\s*(?:instruction|instructions|response|input)\s*:"
        ),
        "a markdown role heading such as ### System:",
    ),
    (
        "template.line_role",
        _c(
            r"(?:^[ \t>*_-]*|(?<=[\"'])|(?<=[.!?])\s+)(?:system|assistant|developer|human"
            r"|sistema|systeme|asistente|assistente|assistent|systemnachricht)\s*:(?!//)"
        ),
        "a line that speaks as a chat role (system:, assistant:)",
    ),
    (
        "template.json_role",
        _c(r"[\"']role[\"']\s*:\s*[\"'](?:system|developer)[\"']"),
        "an embedded chat message with a system or developer role",
    ),
)
"""Chat-template and role markers, matched on normalised text (newlines kept)."""

DELIMITER_RULES: tuple[Rule, ...] = (
    (
        "delimiter.untrusted_tag",
        _c(r"<\s*/?\s*untrusted\b"),
        "contains earned's own delimiter tag: it could close the data block early",
    ),
    (
        "delimiter.end_marker",
        _c(
            r"(?:-{3,}|={3,}|#{2,}|\*{3,}|\[|<)\s*(?:end|close|begin|start)\s+(?:of\s+)?(?:the\s+)?"
            r"(?:untrusted|user input|user data|tool output|tool result|external content"
            r"|document|file|email|text|retrieved content|data block|context|system prompt"
            r"|instructions|input|data)\b"
        ),
        "announces the end of a data block, so that what follows reads as instructions",
    ),
)
"""Delimiter forgery, matched on normalised text; closing tags are checked in code."""

#: Closing tags of common data blocks; forgery when the content never opened them.
BLOCK_TAGS: tuple[str, ...] = (
    "data",
    "document",
    "documents",
    "context",
    "input",
    "user_input",
    "user_data",
    "tool_result",
    "tool_output",
    "tool_response",
    "function_results",
    "function_result",
    "search_results",
    "retrieved",
    "retrieved_content",
    "external_content",
    "email_content",
    "content",
    "untrusted_input",
    "quote",
    "user_query",
    "query",
)
CLOSING_TAG = re.compile(r"<\s*/\s*([a-z_]{2,30})\s*>")

SQUASHED_RULES: tuple[Rule, ...] = (
    (
        "override.spaced_out",
        re.compile(
            r"(?:ignore|disregard|forget|bypass|override)(?:all|any|the|your|of)*"
            r"(?:previous|prior|above|earlier|preceding|system)?(?:instructions?|rules|prompts?"
            r"|directions|guidelines|theabove|everything)"
        ),
        "an override spelled with spaces or symbols between the letters",
    ),
    (
        "leak.spaced_out",
        re.compile(r"(?:reveal|show|print|repeat|leak)(?:me)?(?:your|the)?systemprompt"),
        "a system-prompt request spelled with spaces or symbols between the letters",
    ),
    (
        "jailbreak.spaced_out",
        re.compile(r"developermode|jailbreak|doanythingnow"),
        "a jailbreak keyword spelled with spaces or symbols between the letters",
    ),
)
"""Matched on the letters of spaced-out runs ("i g n o r e   a l l ...") joined together."""
