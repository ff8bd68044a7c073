"""The routing rules: patterns on the sender, subject and body of the latest inbound message.

What we can see. Front's message object (`GET /messages/{id}`, spec `MessageResponse`) carries
`is_inbound`, `subject`, `body`/`text`, `recipients` and `created_at`, but no e-mail headers:
`metadata.headers` exists "for `custom` messages only". So `Auto-Submitted`, `X-Autoreply` or
`Precedence: bulk` cannot be read, and the rules work from what a person would see: who sent it,
the subject, the text, and (loop guard) when we last auto-sent into the conversation.

Order matters, first match wins:
1. loop guard: a message arriving soon after our own automatic reply is never answered by us;
2. automatic mail: bounces, automatic/out-of-office replies, no-reply senders (`no_reply`);
3. a person must answer: legal threats, chargebacks and disputes, angry escalations, sensitive
   requests (data deletion, compromised accounts), attempts to instruct the assistant (`human`);
4. spam and newsletters (`no_reply`);
5. closers that ask nothing ("thanks, that worked!") (`no_reply`);
6. nothing matched: the rules leave it open (the classifier, or `respond`).

Automatic mail is checked before the human rules on purpose: a bounce quotes our own message
and an auto-reply may quote the customer's, and neither needs a person. The human rules come
before spam and closers, so "thanks for nothing, my lawyer will be in touch" reaches a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RuleMatch", "first_match", "own_text", "LOOP_GUARD_SECONDS"]

# An autoresponder answers within seconds to minutes; a person who answers our reply this fast is
# rare, and is sent to a teammate rather than answered (see `loop_guard`).
LOOP_GUARD_SECONDS = 15 * 60


@dataclass(frozen=True)
class RuleMatch:
    route: str  # "no_reply" | "human"
    category: str  # what kind of mail: auto_reply, bounce, legal, ...
    rule: str  # the rule's name, stable, for the audit log and the eval
    reason: str  # one sentence for the teammate


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


# -- senders -----------------------------------------------------------------------------------
BOUNCE_SENDER = _rx(r"^(?:mailer-daemon|postmaster|mail-daemon|bounces?|mdaemon)(?:[+@.\-]|$)")
NO_REPLY_SENDER = _rx(r"(?:^|[-_.+])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply)(?:[-_.+]|$)")
BOUNCE_NAME = _rx(r"^mail delivery (?:subsystem|system)$", r"^microsoft outlook$", r"^mail delivery service$")

# -- bounces (delivery status notifications) ---------------------------------------------------
BOUNCE_SUBJECT = _rx(
    r"^\s*undeliverable\b", r"^\s*undelivered mail returned to sender", r"delivery status notification \((?:failure|delay)\)",
    r"^\s*mail delivery failed", r"^\s*returned mail\b", r"^\s*delivery (?:has )?failed", r"^\s*failure notice\s*$",
    r"^\s*unzustellbar\b", r"^\s*non remis\s*:", r"^\s*no se puede entregar", r"^\s*message not delivered",
    r"^\s*delivery failure\b", r"^\s*non recapitabile",
)
BOUNCE_BODY = _rx(
    r"\bdelivery (?:to the following recipients? )?(?:has )?failed\b", r"\bcould not be delivered to one or more recipients\b",
    r"\bthis is the mail system at host\b", r"\bwasn'?t delivered to\b", r"\baddress couldn'?t be found\b",
    r"\b550[ -]5\.\d\.\d\b", r"\bremote server returned '?5\d\d", r"\bdiagnostic-code:\s*smtp;",
    r"\bmessage could not be delivered\b", r"\bdie nachricht konnte nicht zugestellt werden\b",
    r"\bvotre message n'a pas pu (?:être )?(?:remis|distribué)", r"\bno se pudo entregar\b",
    r"\bi'?m sorry to have to inform you that your message could not\b",
)

# -- automatic replies (out of office, holidays, ticket acknowledgements) ----------------------
AUTO_SUBJECT = _rx(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|auto[- ]?response|autoreply)\s*:", r"^\s*auto\s*:",
    r"^\s*out of (?:the )?office\s*(?::|$)", r"^\s*ooo\b", r"\babwesenheitsnotiz\b", r"^\s*automatische antwort\s*:",
    r"^\s*r[ée]ponse automatique\s*:", r"^\s*respuesta autom[aá]tica\s*:", r"^\s*risposta automatica\s*:",
    r"^\s*(?:automatisch antwoord|afwezig)\b",
)
# Subjects that are usually, not always, automatic ("Out of office next week: pause my plan?"): they
# count only when the sender's own words ask nothing.
SOFT_AUTO_SUBJECT = _rx(
    r"\bout of (?:the )?office\b", r"\babwesend\b", r"^\s*absent\b", r"\babsence du bureau\b", r"\bfuera de la oficina\b",
    r"\bon (?:annual )?leave\b", r"\bon vacation\b",
    r"\bwe(?:'ve| have) received your (?:message|email|request)\b", r"\[ticket #?\w+\]\s*(?:received|created)\b",
    r"^\s*thank you for (?:contacting|your (?:email|message))\b.*\b(?:received|ticket)\b",
)
AUTO_BODY = _rx(
    r"\bi(?:'m| am) (?:currently )?(?:out of (?:the )?office|away from (?:the office|my desk)|on (?:annual |parental |maternity )?leave|on (?:holiday|vacation))\b",
    r"\bi will be (?:out of (?:the )?office|away|on leave|on holiday)\b", r"\bi(?:'m| am) away (?:until|till|from|on)\b",
    r"\bfor urgent (?:matters|enquiries|inquiries|issues|requests)\b", r"\bwith limited access to (?:e-?mail|my inbox)\b",
    r"\bi will (?:respond|reply|get back to you|return your (?:e-?mail|message)) (?:when|as soon as|upon) (?:i(?:'m| am) back|my return)\b",
    r"\bthis is an? auto(?:mated|matic)(?:ally generated)? (?:vacation |holiday |out[- ]of[- ]office )?(?:response|reply|message|notification)\b",
    r"\(auto-?reply\)", r"\(?this is an automatic (?:vacation )?reply sent by\b", r"\bchecking (?:e-?mail|messages) (?:only )?occasionally\b",
    r"\b(?:your|the) (?:request|case|ticket|message|enquiry|inquiry) (?:has been|was) (?:received|logged|created|registered)\b",
    r"\bwe(?:'ve| have) received your (?:message|e-?mail|request|enquiry|inquiry)\b.{0,80}\b(?:will|shall) (?:respond|reply|get back|be in touch|answer)",
    r"\bwill (?:respond|reply|answer|get back to you) within \d+\s*(?:business |working )?(?:hours|days)\b",
    r"\bwe(?:'re| are) experiencing (?:high|heavy) (?:volumes?|demand)\b",
    r"\bihr anliegen wurde\b.{0,60}\berfasst\b", r"\bwir melden uns (?:in k[üu]rze|schnellstm[öo]glich)\b",
    r"\bplease do not reply to this (?:e-?mail|message)\b", r"\bthis mailbox is not monitored\b",
    r"\bich bin (?:derzeit |bis (?:zum |einschlie(?:ß|ss)lich )?\S+ )?(?:nicht im b[üu]ro|au(?:ß|ss)er haus|im urlaub|abwesend)",
    r"\bbin ich (?:nicht im b[üu]ro|abwesend|im urlaub)", r"\bkeinen zugriff auf meine e-?mails\b",
    r"\bje suis (?:actuellement )?absente?\b", r"\ben cong[ée]s?\b.*\bjusqu'au\b", r"\bje serai de retour le\b",
    r"\b(?:estoy|estar[ée]) fuera de la oficina\b", r"\bestoy de vacaciones\b", r"\bvolver[ée] el\b.*\bresponder[ée]\b",
    r"\bsono fuori ufficio\b", r"\bik ben (?:afwezig|met vakantie)\b",
    r"\byour (?:ticket|request) (?:number |#)?\S+ has been (?:received|created)\b",
    r"\bwe(?:'ve| have) received your (?:message|email|request) and will (?:get back|respond|reply)\b",
)

# -- a person must answer ----------------------------------------------------------------------
INJECTION = _rx(
    r"\bignore (?:all |any |your |the |my )?(?:previous |prior |above |earlier )?(?:instructions|rules|guidelines|prompts?)\b",
    r"\bdisregard (?:all |your |the |any )?(?:previous |prior )?(?:instructions|rules|guidelines)\b",
    r"\b(?:system|developer) prompt\b", r"\byou are now (?:in )?(?:dan|developer mode|an? )", r"\bdeveloper mode\b",
    r"\bpre-?approved\b", r"\b(?:skip|bypass|override) (?:the |any |your )?(?:approval|review|verification|policy|rules)\b",
    r"\bno (?:human )?approval (?:is )?(?:needed|required)\b", r"\bas (?:an|the) (?:ai|assistant|language model)[, ]+(?:you must|your task)\b",
    r"\bnew instructions?\s*:", r"\[(?:system|admin|assistant)\]", r"<\s*/?\s*(?:system|instructions?)\s*>",
    r"\bignoriere (?:alle |deine |die )?(?:bisherigen |vorherigen )?(?:anweisungen|regeln)\b",
    r"\bignorez (?:toutes |vos |les )?(?:instructions|r[èe]gles)\b", r"\bignora (?:todas |tus |las )?(?:instrucciones|reglas)\b",
)
LEGAL = _rx(
    r"\b(?:my|our) (?:lawyer|attorney|solicitor|legal (?:team|counsel|department))\b", r"\blegal action\b", r"\blawsuit\b",
    r"\b(?:i|we)(?:'ll| will| am going to| are going to) sue\b", r"\bsue (?:you|your company)\b", r"\bsmall claims\b",
    r"\bcease and desist\b", r"\bwithout prejudice\b", r"\bwe represent\b", r"\b(?:copyright|trademark) infringement\b",
    r"\binfring(?:es|ing|ement)\b", r"\bconsumer protection\b", r"\b(?:ftc|bbb|trading standards|attorney general)\b",
    r"\bgdpr complaint\b", r"\bdata protection authority\b", r"\bletter before action\b",
    r"\b(?:mein(?:em|en)?|unser(?:em|en)?) (?:anwalt|rechtsanwalt|anw[äa]ltin)\b", r"\brechtliche schritte\b",
    r"\bverbraucherzentrale\b", r"\babmahnung\b", r"\bklage\b",
    r"\b(?:mon|notre) avocat\b", r"\bservice juridique\b", r"\bproc[ée]dure judiciaire\b", r"\bpoursuites?(?: judiciaires?)?\b", r"\bmise en demeure\b", r"\b(?:la )?dgccrf\b",
    r"\bmi abogad[oa]\b", r"\bacciones legales\b", r"\b(?:demandar(?:les|los)?|poner una demanda)\b", r"\bdenuncia\b",
)
CHARGEBACK = _rx(
    r"\bcharge-?backs?\b", r"\bdisput(?:e|ed|ing) (?:the |this |a )?(?:charge|payment|transaction)\b",
    r"\b(?:open(?:ed)?|file[ds]?|raise[ds]?) a (?:dispute|claim)\b", r"\bpaypal (?:dispute|claim)\b",
    r"\b(?:contact(?:ed)?|call(?:ed)?|tell|told|ask(?:ed)?) my (?:bank|card issuer|credit card company)\b",
    r"\bmy bank (?:to )?(?:reverse|dispute|block)\b",
    r"\br[üu]ckbuchung\b", r"\blastschrift (?:zur[üu]ck|widerrufen)\b", r"\bzur[üu]ckgebucht\b", r"\bzur[üu]ckbuchen\b", r"\bzahlung (?:bei meiner bank )?(?:zur[üu]ckbuchen|reklamieren)\b",
    r"\bopposition (?:bancaire|aupr[èe]s de ma banque)\b", r"\bcontest(?:er|ation) (?:le |du |de )?(?:paiement|pr[ée]l[èe]vement)\b",
    r"\bcontracargo\b", r"\b(?:reclamaci[óo]n|disputa) (?:con|en|ante) (?:mi|el) banco\b",
)
ESCALATION = _rx(
    r"\b(?:speak|talk) (?:to|with) (?:a |your |the )?(?:manager|supervisor|human|real person|someone in charge)\b",
    r"\bworst (?:customer )?(?:service|support|company|experience)\b", r"\bthis is (?:a |an )?(?:scam|fraud|ripoff|rip-off|joke|disgrace)\b",
    r"\byou(?:'re| are) (?:scammers|thieves|crooks|frauds)\b", r"\bf+u+c+k", r"\bshit\b", r"\bbullshit\b",
    r"\bfinal warning\b", r"\bi(?:'m| am) (?:absolutely |so |really )?(?:furious|livid|disgusted|fuming)\b", r"\bpublic(?:ly)? (?:review|post)\b.*\b(?:twitter|reddit|trustpilot)\b",
    r"\b(?:twitter|reddit|trustpilot|social media)\b.*\beveryone (?:will )?know\b",
    r"\bunversch[äa]mt\b", r"\bfrechheit\b", r"\bbetr[üu]ger\b", r"\bschei(?:ß|ss)e?\b", r"\binakzeptabel\b.*!",
    r"\bescroqu", r"\barnaque\b", r"\bputain\b", r"\binadmissible\b", r"\bhonteux\b",
    r"\bestafa\b", r"\bladrones\b", r"\bmierda\b", r"\bvergonzoso\b", r"\bquiero hablar con (?:un|el) (?:responsable|supervisor|gerente)\b",
    r"\bje veux parler (?:à|a) (?:un|votre) (?:responsable|supérieur)\b", r"\bmit (?:einem|ihrem) vorgesetzten sprechen\b",
)
SENSITIVE = _rx(
    r"\b(?:delete|erase|remove) (?:all )?(?:my|our) (?:personal )?(?:data|information|account and data)\b", r"\bright to (?:erasure|be forgotten)\b",
    r"\b(?:subject access request|data subject (?:access )?request|dsar)\b", r"\b(?:under|per|according to) (?:the )?(?:gdpr|dsgvo|rgpd)\b",
    r"\b(?:gdpr|dsgvo|rgpd)[- ](?:request|anfrage|demande|solicitud)\b", r"\bart(?:icle|ikel|\.)? ?1[57] (?:gdpr|dsgvo|rgpd)\b",
    r"\bmeine daten (?:l[öo]schen|zu l[öo]schen)\b", r"\bsupprimer (?:toutes )?mes donn[ée]es\b", r"\bborrar (?:todos )?mis datos\b",
    r"\b(?:my )?account (?:was|has been|got) (?:hacked|compromised|taken over)\b", r"\bsomeone (?:else )?(?:hacked|logged into|is using) my account\b",
    r"\b(?:stolen|unauthori[sz]ed) (?:credit )?card\b", r"\bidentity theft\b", r"\bunauthori[sz]ed (?:charges?|purchases?|transactions?)\b",
    r"\b(?:passed away|has died|deceased)\b", r"\bsuicid", r"\bkill myself\b", r"\bself-harm\b",
    r"\bpolice report\b", r"\bsubpoena\b", r"\bpress inquiry\b", r"\bjournalist\b",
)

# -- spam and newsletters ------------------------------------------------------------------------
SPAM = _rx(
    r"\bseo (?:services|agency|expert|audit)\b", r"\bguest post(?:ing)?\b", r"\bbacklinks?\b", r"\bfirst page of google\b",
    r"\brank(?:ing)? (?:higher )?on google\b", r"\blead generation\b", r"\bincrease your (?:traffic|sales|revenue|followers)\b",
    r"\b(?:bitcoin|crypto(?:currency)?) (?:investment|opportunity|trading)\b", r"\bdear (?:friend|beneficiary)\b",
    r"\b(?:you have|you've) (?:won|been selected)\b", r"\blottery\b", r"\binheritance\b.*\b(?:million|usd|funds)\b",
    r"\bwe (?:offer|provide) (?:affordable |cheap |high[- ]quality )?(?:web|app|software|mobile) development\b",
    r"\boutsourc(?:e|ing) (?:your )?(?:development|team)\b", r"\bdedicated developers?\b", r"\bhire (?:our )?(?:offshore )?developers\b",
    r"\bbusiness proposal\b", r"\bclaim your (?:prize|reward)\b", r"\bviagra\b", r"\bcasino\b", r"\bcheap (?:meds|pills)\b",
    r"\bi came across your (?:website|app|site) and noticed\b", r"\bverify your mailbox\b", r"\bmailbox (?:is full|quota)\b",
    r"\bwould you be interested in (?:a )?(?:partnership|collaboration|our services)\b", r"\bmedia kit\b",
    r"\b(?:sponsored|featured) (?:post|slot|placement|listing)\b", r"\bexternaliser votre\b",
)
NEWSLETTER = _rx(
    r"\b(?:click here )?to unsubscribe\b", r"\bunsubscribe (?:here|from (?:this|these|our))\b", r"^\s*unsubscribe\s*$",
    r"\|\s*unsubscribe\b", r"\bunsubscribe\s*\|", r"\bview (?:this e-?mail |it )?in (?:your |a )?browser\b",
    r"\bmanage (?:your )?(?:e-?mail |subscription |notification )?preferences\b", r"\byou(?:'re| are) receiving this (?:e-?mail|message|newsletter)\b",
    r"\bvom newsletter abmelden\b", r"\bnewsletter abbestellen\b", r"\bhier abmelden\b",
    r"\b(?:se|vous) d[ée]sinscrire\b", r"\bse d[ée]sabonner\b", r"\bpour vous d[ée]sabonner\b", r"\bpour ne plus recevoir\b",
    r"\b(?:r[ée]pondez|reply|responda|antworten sie mit) (?:stop|baja|unsubscribe|abmelden)\b",
    r"\bdarse de baja\b", r"\bcancelar (?:la )?suscripci[óo]n\b", r"\bpara dejar de recibir\b",
)

# -- closers ----------------------------------------------------------------------------------
CLOSER = _rx(
    r"\bthanks?\b", r"\bthank you\b", r"\bthx\b", r"\bty\b", r"\bcheers\b", r"\bmuch appreciated\b", r"\bperfect\b", r"\bawesome\b",
    r"\b(?:that|it) (?:worked|works)\b", r"\bworks now\b", r"\ball (?:good|set|sorted)\b", r"\bsorted\b", r"\bsolved\b", r"\bgot it\b",
    r"\bdanke\b", r"\bvielen dank\b", r"\bfunktioniert\b", r"\bhat geklappt\b", r"\bperfekt\b",
    r"\bmerci\b", r"\b[çc]a (?:marche|fonctionne)\b", r"\bc'est bon\b", r"\bparfait\b",
    r"\bgracias\b", r"\bya funciona\b", r"\bfunciona\b", r"\bperfecto\b", r"\bgrazie\b",
)
# Words that turn a thank-you into something that still needs an answer.
OPEN_ENDED = _rx(
    r"\?", r"\bbut\b", r"\bhowever\b", r"\bstill\b", r"\bnot\b", r"n't\b", r"\bagain\b", r"\balso\b", r"\bplease\b", r"\bcould you\b",
    r"\bcan you\b", r"\bone more\b", r"\banother\b", r"\bissue\b", r"\bproblem\b", r"\berror\b", r"\brefund\b", r"\bwhen\b", r"\bhow\b",
    r"\baber\b", r"\bnoch\b", r"\bnicht\b", r"\bkein", r"\bbitte\b", r"\bmais\b", r"\bencore\b", r"\bpas\b", r"\bs'il vous pla[iî]t\b",
    r"\bpero\b", r"\btodav[ií]a\b", r"\bsigue\b", r"\bno\b", r"\bpor favor\b",
    # a thank-you that goes on to ask for something: "thank you, I'd like ...", "merci de ..." (= please)
    r"@", r"\bwould like\b", r"\bi'?d like\b", r"\bwant\b", r"\bneed\b", r"\bupdate\b", r"\bchange\b", r"\bmerci de\b",
    r"\bm[öo]chte\b", r"\bvoudrais\b", r"\bquiero\b", r"\bnecesito\b", r"\bquisiera\b",
)
MAX_CLOSER_CHARS = 280

# -- quoted text -------------------------------------------------------------------------------
# Where a reply's own words end: the quoted original and the signature are not what the sender said now.
QUOTE_START = _rx(
    r"^\s*>", r"^\s*on .{3,120} wrote:\s*$", r"^\s*am .{3,120} schrieb .{0,120}:\s*$", r"^\s*le .{3,120} a [ée]crit\s*:\s*$",
    r"^\s*el .{3,120} escribi[óo]\s*:\s*$", r"^\s*-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original)\s*-{2,}",
    r"^\s*from:\s", r"^\s*von:\s", r"^\s*de\s*:\s", r"^\s*_{5,}\s*$", r"^\s*-- \s*$",
)


def own_text(body: str) -> str:
    """The part of a message its sender wrote now: up to the first quoted line or signature separator."""
    kept: list[str] = []
    for line in body.splitlines():
        if QUOTE_START.search(line):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def loop_guard(seconds_since_auto_send: float | None, automatic: RuleMatch | None) -> RuleMatch | None:
    """Never answer a message our own reply triggered.

    We know when we last auto-sent into the conversation (`drafts` rows we sent). A message that
    arrives within `LOOP_GUARD_SECONDS` of that is treated as triggered by it: automatic mail is
    dropped (`no_reply`), anything else goes to a person, who can tell a fast customer from a
    robot; either way no reply of ours goes out, so two autoresponders cannot ping-pong.
    """
    if seconds_since_auto_send is None or not 0 <= seconds_since_auto_send <= LOOP_GUARD_SECONDS:
        return None
    minutes = max(1, round(seconds_since_auto_send / 60))
    if automatic is not None:
        return RuleMatch("no_reply", automatic.category, "loop_guard",
                         f"automatic mail {minutes} min after our automatic reply ({automatic.reason})")
    return RuleMatch("human", "loop_guard", "loop_guard",
                     f"arrived {minutes} min after our automatic reply; a person checks it so no reply loop starts")


def automatic(sender_email: str, sender_name: str, subject: str, body: str) -> RuleMatch | None:
    """Bounces, automatic replies and no-reply senders."""
    local = sender_email.split("@", 1)[0]
    if BOUNCE_SENDER.search(local) or BOUNCE_NAME.search(sender_name.strip()):
        return RuleMatch("no_reply", "bounce", "bounce_sender", f"a delivery report from {sender_email or sender_name}")
    if BOUNCE_SUBJECT.search(subject):
        return RuleMatch("no_reply", "bounce", "bounce_subject", f"a delivery failure notice ({subject.strip()[:80]!r})")
    if BOUNCE_BODY.search(body[:4000]):
        return RuleMatch("no_reply", "bounce", "bounce_body", "the text is a delivery failure notice")
    if NO_REPLY_SENDER.search(local):
        return RuleMatch("no_reply", "automated_sender", "no_reply_sender", f"sent from a no-reply address ({sender_email})")
    own = own_text(body)
    if AUTO_SUBJECT.search(subject) or (SOFT_AUTO_SUBJECT.search(subject) and "?" not in own and "?" not in subject):
        return RuleMatch("no_reply", "auto_reply", "auto_reply_subject", f"an automatic reply ({subject.strip()[:80]!r})")
    if AUTO_BODY.search(own) and "?" not in own:
        return RuleMatch("no_reply", "auto_reply", "auto_reply_body", "the text is an out-of-office or automatic reply")
    return None


SIGN_IN_ELSEWHERE = _rx(
    r"\b(?:log ?in|sign[- ]?in|magic|reset|access|verification)\b[^.\n]{0,40}\b(?:link|code|email)\b[^.\n]{0,60}?\bto ([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})",
)


def sign_in_elsewhere(sender_email: str, text: str) -> RuleMatch | None:
    """A sign-in link or code asked for at an address other than the sender's: how accounts are taken over."""
    for found in SIGN_IN_ELSEWHERE.finditer(text):
        if found.group(1).lower() != sender_email.lower():
            return RuleMatch("human", "sensitive", "sign_in_elsewhere",
                             f"asks for sign-in access to be sent to another address ({found.group(1)})")
    return None


def needs_person(subject: str, body: str, sender_email: str = "") -> RuleMatch | None:
    """Legal threats, chargebacks, angry escalations, sensitive requests, and attempts to instruct the assistant."""
    text = f"{subject}\n{own_text(body) or body}"
    elsewhere = sign_in_elsewhere(sender_email, text)
    if elsewhere is not None:
        return elsewhere
    for pattern, category, reason in (
        (INJECTION, "prompt_injection", "the message tries to give the assistant instructions"),
        (LEGAL, "legal", "the customer mentions legal steps"),
        (CHARGEBACK, "chargeback", "the customer mentions a chargeback or payment dispute"),
        (SENSITIVE, "sensitive", "a sensitive request (personal data, account security, or a personal matter)"),
        (ESCALATION, "escalation", "an angry escalation"),
    ):
        found = pattern.search(text)
        if found:
            return RuleMatch("human", category, category, f"{reason} ({found.group(0).strip()[:40]!r})")
    letters = [c for c in own_text(body) if c.isalpha()]
    if len(letters) >= 60 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        return RuleMatch("human", "escalation", "shouting", "the message is mostly in capitals (an angry escalation)")
    return None


def junk(subject: str, body: str) -> RuleMatch | None:
    """Spam and newsletters."""
    text = f"{subject}\n{body}"
    found = SPAM.search(text)
    if found:
        return RuleMatch("no_reply", "spam", "spam", f"looks like spam ({found.group(0).strip()[:40]!r})")
    found = NEWSLETTER.search(text)
    if found:
        return RuleMatch("no_reply", "newsletter", "newsletter", f"a newsletter or bulk mail ({found.group(0).strip()[:40]!r})")
    return None


def closer(subject: str, body: str) -> RuleMatch | None:
    """A short thank-you that asks nothing."""
    own = own_text(body)
    if not own or len(own) > MAX_CLOSER_CHARS:
        return None
    if CLOSER.search(own) and not OPEN_ENDED.search(own):
        return RuleMatch("no_reply", "closer", "closer", "a thank-you that asks nothing further")
    return None


def first_match(
    *, sender_email: str, sender_name: str, subject: str, body: str, seconds_since_auto_send: float | None
) -> RuleMatch | None:
    """The first rule that decides the route, in the order the module docstring gives; None leaves it open."""
    auto = automatic(sender_email, sender_name, subject, body)
    guarded = loop_guard(seconds_since_auto_send, auto)
    if guarded is not None:
        return guarded
    return auto or needs_person(subject, body, sender_email) or junk(subject, body) or closer(subject, body)
