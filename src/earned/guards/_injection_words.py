"""Word lists and building blocks for `_injection_rules`: the vocabulary of injections.

Everything is matched on normalised text (lower case, accents stripped; see
`injection._normalise`), so words are written that way: "instrucoes", "precedentes".
Each list is "|"-separated phrases grouped by language under "# xx" comment lines; a space
inside a phrase matches any short run of spaces or punctuation (`S`).
"""

from __future__ import annotations

import re

#: Between two words: punctuation, spaces, dashes, underscores; never a long run.
S = r"[\W_]{1,6}"

#: Where a persona order starts: text or line start, after punctuation, or after a lead-in
#: word ("please", "now", "and", "you must").
LEAD_WORDS = (
    r"please|kindly|now|just|and|then|so|also|simply|immediately|first|to|i\s+want\s+you\s+to"
    r"|i\s+need\s+you\s+to|por\s+favor|ahora|y|luego|bitte|jetzt|und|dann|s'il\s+te\s+plait"
    r"|s'il\s+vous\s+plait|maintenant|et|puis|per\s+favore|adesso|ora|e|poi|agora|depois|entao"
)
PUNCT_BEFORE = r"(?:^\s*|(?<=[.!?:;,\"'()\[\]{}<>*=\-])\s*)"
MODAL = r"(?:must|should|will|shall|need\s+to|have\s+to|are\s+to)"
#: The modal needs "you": "he will act as my representative" is no attack.
LEAD_YOU = rf"(?:{PUNCT_BEFORE}|\b(?:{LEAD_WORDS}|you\s+{MODAL})\s+)"
#: An order, not a statement: the verb has no subject in front of it. "Customers who ignore
#: the safety guidelines", "you can't ignore your own rules", "I ignored the instructions".
IMPERATIVE = (
    r"\b(?<!\bi )(?<!\bwe )(?<!\byou )(?<!\bthey )(?<!\bwho )(?<!\bhe )(?<!\bshe )(?<!\bit )"
    r"(?<!\bpeople )(?<!\bcustomers )(?<!\busers )(?<!n't )(?<!\bnot )(?<!\bnever )"
    r"(?<!\bcannot )(?<!\bno )(?<!\bnao )(?<!\bnon )(?<!\bne )"
)


def _alt(words: str) -> str:
    """A non-capturing alternation of the "|"-separated `words`, longest first.

    Lines starting with "#" are comments (the language of the words below them); a space in
    a phrase matches S, so "set aside" also matches "set-aside" and "set  aside".
    """
    lines = words.splitlines()
    text = " ".join("|" if line.strip().startswith("#") else line for line in lines)
    phrases = {" ".join(w.split()) for w in text.split("|")} - {""}
    ordered = sorted(phrases, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", S) for w in ordered) + ")"


#: Words allowed between an override verb and its object: determiners and the adjectives
#: attacks use ("all of the", "your entire", "las", "alle deine"). Never a domain noun, so
#: "ignore the previous delivery instructions" (a courier note) does not match.
DET = _alt(
    """
    all | any | every | each | whatever | whichever | of | the | these | those | this | that
    | your | ur | such | and | or | other | entire | whole | complete | given | current |
    existing | safety | system | ai | model | assistant | hidden | secret | core | default |
    original | initial | above | stated | earlier | de | las | los | les | tes | vos | todas
    | todos | toutes | tous | alle | die | der | den | deine | deinen | ihre | as | os |
    suas | seus | le | tutte | tutti | gli | tue | il | la | el | lo | sie | tus | del | des
    | du | do | da | di | you | were | was | been | have | received | recibidas | dadas |
    recues | erhaltenen | recebidas | ricevute | provided | que | qui | che | you've | te |
    dir | ti | was | samtliche | samtlichen | saemtliche | jegliche | ogni | cada | chaque |
    every one of your | each of the | built-in
    """
)
FILLER = rf"(?:{DET}{S}){{0,4}}"

OVERRIDE_VERB = _alt(
    """
    # en
    ignore | ignoring | disregard | forget | bypass | override | overrule | neglect |
    overlook | discard | abandon | set aside | pay no attention to | do not follow | don't
    follow | dont follow | stop following | no longer follow | nevermind | never mind |
    forget about | don't worry about | dont worry about | stop obeying | quit following |
    dismiss | ditch | scrap | drop | put aside | throw out | throw away | toss | shelve |
    erase | wipe | suspend | revoke | nullify | forgo | circumvent | sidestep | disobey |
    defy | violate | break | cease following | unlearn | let go of | turn off | switch off |
    disable
    # es
    ignora | ignoren | ignorar | olvida | olvide | olvidate de | olvidar | descarta |
    descarte | omite | omita | haz caso omiso a | haz caso omiso de | pasa por alto | no
    sigas | no hagas caso a | no hagas caso de | deja de lado | deja de seguir | desobedece
    | anula | prescinde de | saltate
    # fr
    ignorez | ignorer | oublie | oubliez | oublier | ne tiens pas compte de | ne tenez pas
    compte de | ne tiens pas compte des | ne tenez pas compte des | fais abstraction de |
    faites abstraction de | fais abstraction des | faites abstraction des | neglige |
    negligez | ne suis pas | ne suivez pas | laisse tomber | laissez tomber | passe outre |
    passez outre | abandonne | ne respecte plus | ne respecte pas | ne suis plus | arrete de
    suivre | cesse de suivre | annule | desobeis | enfreins | contourne
    # de
    ignoriere | ignorier | ignorieren | vergiss | vergessen | missachte | missachten |
    uberspringe | ueberspringe | verwirf | verwerfen | halte dich nicht an | halte dich
    nicht mehr an | haltet euch nicht an | halten sie sich nicht an | halten sie sich nicht
    mehr an | befolge nicht | befolge nicht mehr | hebe auf | umgehe | pfeif auf | vergesst
    # pt
    ignore | ignorem | esqueca | esquece | esquecer | desconsidere | desconsidera | despreze
    | nao siga | deixe de lado | descarta | deixe de seguir | pare de seguir | abandone |
    anule | desobedeca | contorne | nao siga mais
    # it
    ignori | ignorate | ignorare | dimentica | dimentichi | dimenticate | trascura | non
    seguire | non considerare | lascia perdere | non tenere conto di | non tenere conto
    delle | scarta | tralascia | smetti di seguire | abbandona | annulla | disobbedisci |
    aggira | non seguire piu | non rispettare
    # nl
    negeer | vergeet | negeert
    """
)

PRIOR = _alt(
    """
    # en
    previous | prior | preceding | earlier | above | foregoing | former | original | initial
    | old | existing | system | developer | safety | given | default | built-in | programmed
    | hidden
    # es
    anteriores | anterior | previas | previos | precedentes | de arriba | del sistema |
    originales | iniciales | de seguridad
    # fr
    precedentes | precedente | anterieures | ci-dessus | ci dessus | du systeme | initiales
    | d'origine | de securite
    # de
    vorherigen | vorherige | vorigen | bisherigen | bisherige | obigen | fruheren |
    frueheren | vorangegangenen | vorstehenden | ursprunglichen | urspruenglichen | alten |
    des systems
    # pt
    previas | acima | do sistema | originais | iniciais
    # adverbs, for "the instructions given before"
    before | so far | until now | anteriormente | previamente | precedemment | auparavant |
    zuvor | vorher | bisher | precedentemente | prima
    # it
    precedenti | di sopra | sopra | del sistema | originali | iniziali
    # nl
    vorige | eerdere | bovenstaande | oorspronkelijke
    """
)

OBJECT = _alt(
    """
    # en
    instructions | instruction | directions | directives | directive | rules | guidelines |
    guidance | prompts | prompt | system prompt | commands | context | programming |
    constraints | restrictions | guardrails | policies | safeguards | training | filters |
    script | playbook | rulebook | briefing | configuration | principles | ethics | morals |
    limitations | boundaries
    # es
    instrucciones | instruccion | indicaciones | reglas | ordenes | directrices | directivas
    | normas | restricciones | comandos
    # fr
    consignes | regles | ordres | commandes
    # de
    anweisungen | anweisung | instruktionen | befehle | regeln | vorgaben | richtlinien |
    einschrankungen | einschraenkungen | systemanweisungen | systemprompt | anordnungen
    # pt
    instrucoes | instrucao | regras | ordens | diretrizes | orientacoes | restricoes
    # it
    istruzioni | istruzione | regole | direttive | ordini | restrizioni | comandi |
    indicazioni | consegne | linee guida
    # nl
    instructies | regels | aanwijzingen | richtlijnen
    """
)

#: Determiners that point at the model's own instructions ("your", "all").
YOURS = _alt(
    """
    your | ur | yer | all | any | every | all of your | all your | any of your | tus | todas
    las | todas tus | todas | tes | vos | toutes les | toutes tes | toutes vos | deine |
    deinen | ihre | alle | alle deine | suas | seus | todas as | tue | le tue | tutte le |
    tutte | je | jouw
    """
)

#: "everything above", "lo anterior", "tout ce qui precede", "alles obige", ...
EVERYTHING_BEFORE = _alt(
    """
    the above | all of the above | all the above | everything above | anything above |
    everything before this | everything before | everything prior | all prior | everything
    you were told | everything you have been told | everything you've been told | all you
    were told | what you were told | everything so far | everything up to now | lo anterior
    | todo lo anterior | todo lo de arriba | todo lo que se te dijo | ce qui precede | tout
    ce qui precede | tout ce qui est au-dessus | tout ce qu'on t'a dit | alles obige | alles
    vorherige | alles bisherige | alles oben | alles davor | alles was oben steht | alles
    was dir gesagt wurde | tudo acima | tudo anterior | tudo o que foi dito | o que foi dito
    acima | tutto sopra | tutto quanto sopra | quanto sopra | tutto cio che precede | tutto
    quello sopra | tutto quello che ti e stato detto
    """
)
#: "disregard the above email" is a customer, not an attack.
NOT_A_NOUN_AFTER = _alt(
    """
    email | e-mail | mail | message | messages | msg | note | comment | post | reply |
    address | order | request | text | sms | correo | mensaje | nachricht | mensagem |
    messaggio | adresse | endereco | direccion | indirizzo | pedido
    """
)

#: What "you are now ..." turns the model into. No "admin" or "system": "you are now an
#: admin on the account" and "you are now in our system" are ordinary support text.
AI_NOUN = _alt(
    """
    ai | a.i. | assistant | bot | chatbot | llm | language model | persona | character | dan
    | hacker | jailbroken | unrestricted | unfiltered | uncensored | evil | ia | asistente |
    ki | assistent | assistente | different ai | different assistant | another ai | another
    assistant | sin restricciones | sans restrictions | ohne einschrankungen | sem
    restricoes | senza restrizioni
    """
)
RULES_NOUN = _alt(
    """
    rules | restrictions | constraints | guidelines | programming | limitations | filters |
    policies | reglas | restricciones | regles | regeln | einschrankungen | regras |
    restricoes | regole | restrizioni | policy | guardrails | protocol | protocols |
    instructions
    """
)
FREE = (
    r"(?:(?:free|freed|liberated|released|unbound|libre|libres|frei|livre|libero|libera)"
    rf"{S}(?:from|of|de|von|da|di|dalle|des|das){S}(?:(?:all|any|your|the|tus|tes|vos|deinen"
    rf"|suas|tue|las|les|as|le|todas|toutes|alle|tutte){S}){{0,2}}{RULES_NOUN}"
    rf"|no{S}longer{S}(?:bound|restricted|limited|constrained)|not{S}bound{S}by"
    rf"|without{S}(?:any{S})?(?:restrictions|limits|rules|filters|guidelines))"
)
YOU_ARE_NOW = _alt(
    """
    you are now | you're now | youre now | you are from now on | you will now be | now you
    are | ahora eres | ahora tu eres | ahora seras | ya eres | tu es maintenant | vous etes
    maintenant | tu es desormais | vous etes desormais | maintenant tu es | du bist jetzt |
    du bist nun | du bist ab jetzt | du bist ab sofort | sie sind jetzt | sie sind nun |
    agora voce e | voce agora e | agora tu es | ora sei | adesso sei | ora tu sei | adesso
    tu sei
    """
)
ARTICLE = _alt(
    """
    a | an | the | in | un | una | el | la | le | ein | eine | um | uma | il | l' | une
    """
)
FROM_NOW_ON = _alt(
    """
    from now on | from this point on | from this point forward | going forward | henceforth
    | from here on out | for the rest of this conversation | from this moment on | from here
    on | from this moment | a partir de este momento | desde este momento | a partir de ce
    moment | des maintenant | ab diesem moment | a partir deste momento | deste momento em
    diante | da questo momento | da questo momento in poi | a partir de ahora | desde ahora
    | de ahora en adelante | a partir de maintenant | desormais | dorenavant | ab jetzt | ab
    sofort | von nun an | a partir de agora | de agora em diante | da ora in poi | d'ora in
    poi | da adesso in poi
    """
)
YOU_WILL = _alt(
    """
    you will | you are | you must | you shall | you'll | you should | you can | eres | seras
    | debes | vas a | tu | tu es | vous etes | tu vas | vous allez | tu dois | vous devez |
    bist du | wirst du | musst du | sollst du | du | voce e | voce sera | voce vai | voce
    deve | voce | sei | tu sei | sarai | devi
    """
)
#: What an attacker wants "from now on": obedience, a persona, no rules, a fixed answer.
NEW_BEHAVIOUR = _alt(
    """
    respond as | answer as | reply as | speak as | talk as | act as | behave as | actuaras
    como | actua como | responde como | agiras comme | reponds comme | reponds en tant que |
    antworte als | handle als | agiras como | responda como | agirai come | rispondi come |
    ignore | disregard | obey | only obey | only follow | pretend | act as | respond only |
    answer only | reply only | respond in | answer in | reply in | respond with | reply with
    | answer with | comply with | follow my | never refuse | not refuse | always comply |
    always answer | ignoraras | obedeceras | responderas solo | responderas unicamente |
    fingiras | actuaras como | ignoreras | obeiras | repondras | ignorerai | obbedirai |
    risponderai | agirai | ignorierst | gehorchst | antwortest nur | ignorara | obedecera |
    respondera | ignorar | obedecer | ignorer | obeir | ignorieren | gehorchen | ignorare |
    obbedire
    """
)
ONLY = r"(?:now|only|always|never|solo|seulement|nur|apenas|sempre|siempre|toujours|immer)"
NEW_INSTRUCTIONS = _alt(
    """
    new instructions | new instruction | real instructions | actual instructions | true
    instructions | secret instructions | hidden instructions | override instructions | new
    system prompt | new directive | new directives | new objective | nuevas instrucciones |
    nueva instruccion | instrucciones nuevas | nouvelles instructions | nouvelle instruction
    | nouvelles consignes | neue anweisungen | neue anweisung | neue instruktionen | novas
    instrucoes | nova instrucao | nuove istruzioni | nuova istruzione
    """
)
#: Objects that are the model's configuration whatever verb asks for them.
SYSTEM_PROMPT = _alt(
    """
    system prompt | system-prompt | systemprompt | system instructions | initial
    instructions | original instructions | hidden instructions | secret instructions |
    internal instructions | initial prompt | original prompt | hidden prompt | instructions
    you were given | initial instructions | developer instructions | developer message |
    context window | instructions you received | instructions you got | instructions that
    you received | instrucciones que recibiste | instructions que tu as recues | anweisungen
    die du erhalten hast | instrucoes que voce recebeu | istruzioni che hai ricevuto |
    prompt del sistema | prompt de sistema | instrucciones del sistema | instrucciones
    iniciales | instrucciones ocultas | prompt systeme | prompt du systeme | instructions
    systeme | instructions du systeme | instructions initiales | systemanweisungen |
    ursprunglichen anweisungen | versteckten anweisungen | prompt do sistema | instrucoes do
    sistema | instrucoes iniciais | prompt di sistema | istruzioni di sistema | istruzioni
    iniziali | hidden rules | secret rules | hidden guidelines | rules you are following |
    rules you follow | instructions you are following | instructions you follow | consignes
    initiales | regles initiales | reglas iniciales | regras iniciais | regole iniziali |
    anweisungen vom anfang
    """
)
#: Objects a customer may ask about innocently ("what are your instructions for returns?"):
#: flagged only with a verb no customer uses for them ("print", "dump", "repeat verbatim").
YOUR_PROMPT = _alt(
    """
    the instructions above | the text above | the words above | everything above | the
    prompt above | your instructions | your prompt | your rules | your guidelines | your
    configuration | your config | your directives | your programming | your system message |
    your context | your hidden instructions | tus instrucciones | tu prompt | tes
    instructions | vos instructions | ton prompt | deine anweisungen | ihre anweisungen |
    deinen prompt | suas instrucoes | seu prompt | le tue istruzioni | il tuo prompt
    """
)
REVEAL = _alt(
    """
    # en
    reveal | show | print | display | repeat | output | tell me | give me | leak | dump |
    disclose | share | write out | spell out | list | paste | recite | echo | what is |
    what's | whats | what are | what were | expose | copy | translate | summarize |
    summarise | paraphrase | rewrite | encode | spell
    # es
    revela | revelame | muestra | muestrame | dime | imprime | repite | ensename | escribe |
    comparte | cual es | cuales son
    # fr
    revele | revelez | montre | montrez | montre-moi | montrez-moi | affiche | affichez |
    donne-moi | donnez-moi | repete | repetez | ecris | quel est | quelles sont
    # de
    zeige | zeig | zeig mir | zeigen sie | verrate | verraten sie | gib | gib mir | nenne |
    wiederhole | drucke | was ist | was sind
    # pt
    revele | mostre | me mostre | mostra | diga | me diga | repita | imprima | compartilhe |
    qual e | quais sao
    # it
    rivela | mostrami | dimmi | stampa | ripeti | scrivi | condividi | quali sono
    """
)
REVEAL_STRONG = _alt(
    """
    reveal | print | repeat | output | leak | dump | disclose | recite | echo | spell out |
    write out | paste | expose | revela | revelame | imprime | repite | revele | revelez |
    repete | repetez | verrate | verraten sie | wiederhole | drucke | repita | imprima |
    rivela | stampa | ripeti | quote | cite | transcribe | affiche | affichez | montre |
    muestra | zeige | gib aus | mostre | mostra | mostrami
    """
)

MODE = _alt(
    """
    god mode | sudo mode | dan mode | unrestricted mode | unfiltered mode | jailbreak mode |
    jailbreak prompt | jailbroken mode | do anything now | evil confidant | no restrictions
    mode | modo dios | modo sin restricciones | mode developpeur | mode developpement | mode
    dieu | mode sans restriction | mode sans restrictions | gottmodus | modo deus | modo sem
    restricoes | modalita dio | modalita senza restrizioni
    """
)
ACT_AS = _alt(
    """
    act as | act like | behave as | behave like | pretend to be | pretend you are | pretend
    you're | pretend that you are | pretend that you're | roleplay as | role-play as | role
    play as | pose as | impersonate | simulate being | actua como | finge ser | finge que
    eres | haz de cuenta que eres | comportate como | hazte pasar por | juega el papel de |
    interpreta el papel de | agis comme | agissez comme | fais semblant d'etre | faites
    semblant d'etre | fais comme si tu etais | joue le role de | jouez le role de |
    comporte-toi comme | comportez-vous comme | incarne | tu so als | tun sie so als |
    verhalte dich wie | verhalte dich als | verhalten sie sich wie | agiere als | handle als
    | spiele die rolle | gib dich als | gib vor | aja como | atue como | finja ser | finja
    que e | finja que voce e | comporte-se como | faca o papel de | se passe por |
    interprete o papel de | agisci come | comportati come | fingi di essere | fai finta di
    essere | interpreta il ruolo di | recita la parte di
    """
)
#: After "act as": a persona, not "act as quickly as possible".
PERSONA = _alt(
    """
    a | an | the | someone | somebody | if you | though you | dan | root | admin |
    administrator | system | developer | un | una | el | la | le | l' | si tu | si eres | si
    fueras | ein | eine | der | die | ob du | o | um | uma | se voce | se fosse | il | lo |
    se fossi | wenn du | du bist | als ob
    """
)
AI_ADDRESS = _alt(
    """
    ai | a.i. | assistant | ai assistant | llm | language model | chatbot | gpt | chatgpt |
    claude | copilot | ai agent | ia | asistente | ki | assistent | assistente | agent ia |
    ki-assistent | assistente ia | asistente de ia | automated system | automated agent |
    automated assistant | automated tool | automated reader | automated process | ai system
    | ai model | ai agents | bot | agent ai
    """
)
NOTE_TO = _alt(
    """
    note to | note for | message to | message for | instruction to | instruction for |
    instructions to | instructions for | attention | important for | p.s. to | nota para |
    mensaje para | instrucciones para | note pour | a l'attention de | message pour |
    instructions pour | hinweis an | hinweis fur | nachricht an | anweisung an | anweisungen
    fur | nota per | messaggio per | istruzioni per | mensagem para | instrucoes para
    """
)
IF_YOU_ARE = _alt(
    """
    if you are an | if you are a | if you're an | if you're a | si eres una | si eres un |
    si tu es une | si tu es un | si vous etes une | si vous etes un | wenn du eine | wenn du
    ein | falls du eine | falls du ein | se voce e uma | se voce e um | se sei un | se sei
    una | se sei un'
    """
)
#: What content wants from a model it addresses: "if you're a bot, get me a human" is fine.
AI_ORDER = _alt(
    """
    ignore | disregard | forget | you must | you are instructed | you are required | you
    should now | execute | invoke | call the | reveal | include the | append | output the |
    do not tell | don't tell | ignora | debes | tu dois | vous devez | ignoriere | du musst
    | voce deve | devi
    """
)


VOID = _alt(
    """
    void | null | null and void | revoked | cancelled | canceled | overridden | superseded |
    no longer valid | no longer apply | no longer in effect | nullified | rescinded |
    anuladas | anulados | canceladas | invalidas | ya no son validas | ya no aplican |
    quedan sin efecto | annulees | annules | nulles | caduques | ne s'appliquent plus |
    ungultig | aufgehoben | nichtig | gelten nicht mehr | revogadas | nao sao mais validas |
    nao valem mais | annullate | revocate | nulle | non sono piu valide | non valgono piu
    """
)
YOUR_ALL = _alt(
    """
    your | all | any | all of your | all your | all the | tus | todas las | todas tus |
    toutes les | tes | vos | toutes tes | toutes vos | alle | deine | alle deine | suas |
    todas as | todas suas | tutte le | le tue | tutte le tue
    """
)
MAKER = _alt(
    """
    developer | developers | creator | creators | programmer | maker | owner | operator |
    administrator | admin | sysadmin | system administrator | desarrollador | creador |
    administrador | developpeur | createur | administrateur | entwickler | schopfer |
    schoepfer | desenvolvedor | criador | sviluppatore | creatore | amministratore
    """
)
I_AM_YOUR = _alt(
    """
    i am your | i'm your | im your | this is your | we are your | soy tu | somos tus | je
    suis ton | je suis votre | ich bin dein | ich bin ihr | wir sind deine | sou seu | sou o
    seu | somos seus | sono il tuo | siamo i tuoi
    """
)
NO_LONGER = _alt(
    """
    you are no longer | you're no longer | youre no longer | you will no longer be | stop
    being | ya no eres | tu n'es plus | vous n'etes plus | du bist nicht mehr | du bist kein
    | voce nao e mais | non sei piu
    """
)
#: "what you were told", in six languages: the target of an override without the word
#: "instructions" ("ignore what your operator told you", "oublie ce qu'on t'a demande").
WHAT_YOU_WERE_TOLD = (
    r"(?:what|everything|anything|whatever|all)\s+(?:that\s+)?(?:you\s+(?:were|have\s+been|'ve"
    r"\s+been|had\s+been|got)\s+(?:told|given|taught|instructed|asked|programmed|trained)"
    r"|(?:your|the)\s+\w+\s+(?:told|taught|instructed|asked|gave)\s+you|(?:they|we|i|someone"
    r"|somebody|anyone|people)\s+(?:told|asked|instructed|taught)\s+you)"
    r"|lo\s+que\s+(?:te|le|les)\s+(?:han\s+|habian\s+|hayan\s+)?(?:dijeron|dijo|dicho|pidieron"
    r"|pidio|pedido|indicaron|indicado|ordenaron|ordenado|ensenaron|programaron)"
    r"|(?:tout\s+)?ce\s+qu(?:e|')\s*(?:l'on\s+|on\s+|ils\s+)?(?:t'a|vous\s+a|t'ont|vous\s+ont)"
    r"\s+(?:dit|demande|ordonne|appris|indique|programme)"
    r"|(?:alles\s*,?\s*)?was\s+(?:man\s+)?(?:dir|ihnen|euch)\s+(?:\w+\s+){0,2}(?:gesagt"
    r"|aufgetragen|befohlen|beigebracht|vorgegeben)"
    r"|(?:tudo\s+)?o\s+que\s+(?:te|lhe|voce)\s+(?:\w+\s+)?(?:disseram|disse|pediram|pediu"
    r"|mandaram|mandou|ensinaram|falaram|foi\s+dito)"
    r"|(?:tutto\s+)?(?:quello|cio)\s+che\s+ti\s+(?:hanno|ha|avevano)\s+(?:detto|chiesto"
    r"|ordinato|insegnato)"
)
WITHOUT_LIMITS = (
    r"(?:without|with\s+no|sin|sans|ohne|sem|senza)\s+(?:any\s+|ninguna\s+|ningun\s+|aucune\s+"
    r"|aucun\s+|keine\s+|nenhuma\s+|alcuna\s+|alcun\s+|jede\s+|jegliche\s+|cualquier\s+"
    r"|toute\s+|qualquer\s+|qualsiasi\s+)?(?:restrictions?|filters?|rules|limits|polic(?:y|ies)"
    r"|einschrankung|beschrankung|beschrankungen|regel|limite|restriccion|restricao|restrizione"
    r"|limitations|censorship|guidelines|filtros|restricciones|restriccion|reglas|limites"
    r"|filtres|regles|einschrankungen|regeln|grenzen|filter|zensur|restricoes|regras|filtri"
    r"|restrizioni|regole|limiti|censura)\b"
)
#: An AI named as a modifier ("the AI team", "the AI chat") is not being addressed.
NOT_ADDRESSED = (
    r"(?!\s+(?:team|chat|chatbot|feature|features|tool|tools|support|department|widget|system"
    r"|systems|bot|product|project|group|people|staff|engineers|developers|company|service"
    r"|services|function|helper|page|section|answers?|responses?|replies|thing|stuff)\b)"
)

SECRETS = _alt(
    """
    password | passwords | api key | api keys | credentials | secret key | access token |
    system prompt | private key | admin password | card numbers | credit card numbers
    """
)

#: Second-person permission to drop rules: "you don't need to follow", "feel free to ignore".
YOU_MAY_DROP = (
    r"(?:you\s+)?(?:don't|do\s+not|dont|no)\s+(?:need|have)\s+to\s+(?:follow|obey|apply|respect"
    r"|comply\s+with|stick\s+to|worry\s+about)|(?:you\s+)?(?:can|may|are\s+allowed\s+to|are\s+free"
    r"\s+to)\s+(?:safely\s+)?(?:ignore|disregard|skip|bypass)|feel\s+free\s+to\s+(?:ignore"
    r"|disregard|skip)"
)
#: The model's rulebook named loosely, for windowed overrides ("the guidelines of your company").
CONTROL_NOUN = _alt(
    """
    instructions | instruction | rules | guidelines | guidance | policy | policies | prompt
    | prompts | directives | programming | training | constraints | restrictions |
    guardrails | safeguards | protocols | procedures | system prompt | instrucciones |
    reglas | directrices | politica | consignes | regles | politique | directives |
    anweisungen | regeln | richtlinien | vorgaben | instrucoes | regras | diretrizes |
    politica | istruzioni | regole | direttive | politica | script | scripts | playbook |
    rulebook | briefing | brief | configuration | config | principles | ethics | morals |
    values | mandate | limitations | boundaries | persona | settings | setup instructions |
    pautas | normas | politicas | limites | politiques | contraintes | principes |
    grundsatze | vorschriften | norme | politiche | vincoli | principi
    """
)
#: Weak rulebook nouns ("orders", "assignments") count only after "preceding", "all the".
WEAK_CONTROL_NOUN = _alt(
    """
    orders | assignments | tasks | commands | befehle | auftrage | ordenes | ordres | ordens
    | ordini | compiti | tareas | taches | aufgaben | tarefas
    """
)
#: What marks a rulebook as the model's own rather than the customer's.
MODEL_OWNED = (
    r"(?:previous|prior|preceding|earlier|above|foregoing|original|initial|all|every|each|any|your"
    r"|existing|current|default|built-in|samtliche|samtlichen|jegliche|ogni|cada|chaque"
    r"|que\s+te\s+dieron|que\s+te\s+han\s+dado|qu'on\s+t'a\s+donnees?|die\s+man\s+dir\s+gegeben"
    r"|que\s+te\s+deram|che\s+ti\s+hanno\s+dato|you\s+are\s+following|you\s+follow"
    r"|ur|system|safety|company|company's|you\s+were\s+given|given\s+to\s+you|you\s+received"
    r"|you\s+got|of\s+your|refund|return|returns|tus|tes|vos|deine|suas|tue|todas|toutes"
    r"|alle|tutte|anteriores|precedentes|vorherigen|bisherigen|precedenti)"
)
#: Words that make a rulebook the customer's ("my previous instructions").
MINE = r"(?:my|our|mi|mis|mon|ma|mes|notre|nos|mein|meine|meinen|unsere|meu|minhas|mio|mie)"
#: Verbs of a persona that gives everything away: "an agent who approves all refunds".
GIVES_AWAY = (
    r"(?:approves?|grants?|refunds?|issues?|gives?|pays?|accepts?|says?\s+yes|aprueba|aprobara"
    r"|reembolsa|concede|acepta|approuve|rembourse|accorde|accepte|genehmigt|erstattet|gewahrt"
    r"|akzeptiert|aprova|reembolsa|aceita|approva|rimborsa|concede|accetta)"
)
EVERYTHING = (
    r"(?:all|every|everything|everyone|any|always|todos|todas|todo|siempre|tous|toutes|tout"
    r"|toujours|alle|jede|jeden|jedes|alles|immer|tutti|tutte|tutto|sempre|qualquer)"
)
ROLE_NOUN = (
    r"(?:agent|assistant|bot|chatbot|ai|helper|employee|clerk|terminal|representative|rep"
    r"|manager|supervisor|boss|owner|director|administrator|admin|version\s+of\s+yourself"
    r"|agente|asistente|atendente|assistente|assistant|conseiller|mitarbeiter|assistent|ki|ia"
    r"|empleado|funcionario|impiegato|operatore|operador)"
)
RELATIVE = r"(?:who|that|which|que|qui|der|die|das|che|il\s+quale|la\s+quale)"
ELEVATED = (
    r"(?:admin|administrator|root|full|unlimited|special|elevated|manager|supervisor|superuser"
    r"|override|god)\s+(?:rights|access|permissions?|privileges|authority|powers|mode)"
)
#: Nouns that make instructions somebody else's ("the previous delivery instructions").
DOMAIN = (
    r"(?:delivery|shipping|setup|set-up|assembly|installation|care|washing|cleaning|packing"
    r"|dosage|cooking|courier|driver|customs|gift|payment|billing|wrapping|storage|usage"
    r"|charging|pickup|collection|parking|access|door|gate)"
)
#: Who introduces a persona: "act as", "play the part of", "tu joues".
PERSONA_INTRO = (
    r"(?:you\s+are\s+now|you're\s+now|you\s+will\s+now\s+(?:act\s+as|be)|you\s+are|you're|act"
    r"\s+as|pretend\s+to\s+be|play(?:\s+the\s+(?:part|role)\s+of)?|take\s+the\s+role\s+of|be"
    r"|eres|tu\s+es|vous\s+etes|du\s+bist|voce\s+e|sei|tu\s+joues|vous\s+jouez|juegas|interpretas"
    r"|du\s+spielst|spielst\s+du|voce\s+interpreta|tu\s+interpreti|interpreta|ahora\s+eres"
    r"|agora\s+voce\s+e|adesso\s+sei|ora\s+sei)"
)
#: Who speaks for the model's makers: "the engineering team", "the system administrator".
MAKERS_TEAM = (
    r"(?:system\s+administrator|sysadmin|it\s+admin|it\s+department|security\s+team"
    r"|engineering\s+team|dev\s+team|development\s+team|developers|developer|trust\s+and"
    r"\s+safety(?:\s+team)?|ai\s+team|ml\s+team|platform\s+team|openai|anthropic)"
)
