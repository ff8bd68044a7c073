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
6. clear support requests from a known customer (`respond`, see `support_request`);
7. nothing matched: the rules leave it open (the classifier, or `respond`).

Automatic mail is checked before the human rules on purpose: a bounce quotes our own message
and an auto-reply may quote the customer's, and neither needs a person. The human rules come
before spam and closers, so "thanks for nothing, my lawyer will be in touch" reaches a person.
The `respond` rule comes last: only a message every routing-away rule let through can take it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RuleMatch", "first_match", "own_text", "support_request", "LOOP_GUARD_SECONDS"]

# An autoresponder answers within seconds to minutes; a person who answers our reply this fast is
# rare, and is sent to a teammate rather than answered (see `loop_guard`).
LOOP_GUARD_SECONDS = 15 * 60


@dataclass(frozen=True)
class RuleMatch:
    route: str  # "no_reply" | "human" | "respond"
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

# -- clear support requests (respond without the classifier) ----------------------------------
# What a support lead would hand the agent without a second look: a customer asking about their
# money, their access, their licence or account, their invoices, a fault in the product, or how
# the product works. Each topic in English, German, French and Spanish.
REQUEST_TOPIC: dict[str, re.Pattern[str]] = {
    "refund": _rx(
        r"\brefund", r"\bmoney back\b", r"\breimburse", r"\bcharged (?:me )?twice\b", r"\bdouble[- ]charged?\b",
        r"\berstatt", r"\bgeld zur[üu]ck\b", r"\bzweimal (?:\w+ )?abgebucht\b", r"\bdoppelte abbuchung\b",
        r"\brembours", r"\bd[ée]bit[ée]e? deux fois\b", r"\bdevoluci[óo]n\b", r"\breembols", r"\bdevolver (?:el|mi) dinero\b",
        r"\bcobrad[oa] dos veces\b",
    ),
    "access": _rx(
        r"\b(?:can'?t|cannot|can not|unable to|couldn'?t) (?:log ?in|sign ?in|access|get into)\b", r"\blocked out\b",
        r"\bmagic link\b", r"\b(?:forgot|reset|lost) (?:my )?password\b", r"\bpassword reset\b", r"\bverification code\b",
        r"\b(?:2fa|two[- ]factor)\b", r"\blog ?in (?:issue|problem|error)\b", r"\bsign[- ]?in (?:issue|problem|error)\b",
        r"\banmeld(?:en|ung)\b", r"\beinloggen\b", r"\bpasswort\b", r"\bkomme nicht (?:mehr )?in mein\b",
        r"\bme connecter\b", r"\bconnexion (?:impossible|[àa] mon compte)\b", r"\bprobl[èe]me de connexion\b", r"\bmot de passe\b",
        r"\binicia(?:r)? sesi[óo]n\b", r"\bcontrase[ñn]a\b", r"\bacceder a mi cuenta\b", r"\bc[óo]digo de verificaci[óo]n\b",
    ),
    "transfer": _rx(
        r"\btransfer(?:ring)? (?:my |the |a |our |this )?(?:licen[cs]e|subscription|account|seat|course|plan)\b",
        r"\b(?:licen[cs]e|subscription|account) transfer\b", r"\bmove (?:my |the |a )?(?:licen[cs]e|seat)\b",
        r"\b(?:change|update) (?:my |the )?(?:account |login |e-?mail )?(?:e-?mail|address)\b", r"\bnew e-?mail address\b",
        r"\b[üu]bertrag", r"\be-?mail(?:-adresse)? (?:\w+ )?[äa]ndern\b", r"\btransf[ée]r(?:er|ez|t)\b",
        r"\bchanger (?:mon |d')?(?:adresse|e-?mail)\b", r"\btransferir\b", r"\bcambiar (?:mi |el )?(?:correo|email)\b",
    ),
    "billing": _rx(
        r"\binvoices?\b", r"\breceipts?\b", r"\bvat\b", r"\bbilling\b", r"\bbilled\b", r"\bpayment method\b", r"\b(?:credit )?card\b",
        r"\bcancel (?:my |the )?(?:subscription|plan|trial|renewal)\b", r"\brenewal\b", r"\bcharged?\b", r"\bdiscount\b",
        r"\bsubscription\b", r"\bpause my\b",
        r"\brechnung", r"\bquittung\b", r"\bumsatzsteuer|\bust-?id", r"\babbuchung\b", r"\babo(?:nnement)?\b", r"\bk[üu]ndig",
        r"\bzahlung\b", r"\bfactur", r"\btva\b", r"\bpaiement\b", r"\babonnement\b", r"\bcarte bancaire\b", r"\br[ée]siliation\b",
        r"\bfactura", r"\bnif\b", r"\bcobro\b", r"\bcargo\b", r"\bsuscripci[óo]n\b", r"\bpago\b", r"\brecibo\b",
    ),
    "bug_report": _rx(
        r"\bcrash(?:es|ed|ing)?\b", r"\berror\b", r"\bbug\b", r"\binvalid\b", r"\bnot recogni[sz]ed\b",
        r"\b(?:doesn'?t|does not|don'?t|isn'?t|is not|won'?t|not) (?:work|open|load|sync|start|show|send|arriv|appear|display|updat)",
        r"\bstopped (?:working|syncing|loading)\b", r"\bbroken\b", r"\bfreez(?:es|ing)\b", r"\b(?:is|are|went) (?:gone|missing)\b",
        r"\bst[üu]rzt\b.{0,40}\bab\b", r"\babsturz\b", r"\bfehler", r"\bfalsch\b", r"\bfunktioniert (?:\w+ )?nicht\b", r"\bgeht nicht\b",
        r"\bplante\b", r"\berreur\b", r"\bne (?:fonctionne|marche|s'ouvre|d[ée]tecte)\b", r"\ba disparu\b",
        r"\bno funciona\b", r"\bse cierra\b", r"\bfalla\b", r"\bme sale\b.{0,30}\berror\b",
    ),
}
# A direct question: a question word (or Spanish "¿") and, later in the same sentence, "?".
QUESTION = _rx(
    r"\b(?:how|what|where|when|which|who|why|is|are|do|does|did|can|could|will|would|should|may|any)\b[^.!?\n]{0,200}\?",
    r"\b(?:wie|was|wo|wann|welche[rsmn]?|warum|wem|wer|kann|k[öo]nnen|gibt|ist|sind|wird|werden|muss|hat|haben|stimmt)\b"
    r"[^.!?\n]{0,200}\?",
    r"\b(?:comment|quel(?:le)?s?|o[ùu]|quand|pourquoi|est-ce|est-il|est-elle|peut-on|pouvez-vous|puis-je|y a-t-il|faut-il"
    r"|existe-t-il)\b[^.!?\n]{0,200}\?",
    r"¿[^?\n]{3,200}\?", r"\b(?:c[óo]mo|qu[ée]|d[óo]nde|cu[áa]ndo|cu[áa]l|hay|se puede|puedo|pod[ée]is|pueden)\b[^.!?\n]{0,200}\?",
)
# Asking for something, in so many words: with a topic above, the message wants an answer.
ASKS = _rx(
    r"\?", r"\bplease\b", r"\b(?:can|could|would) you\b", r"\b(?:i'?d|i would|would) like\b", r"\bi want\b", r"\bi need\b",
    r"\bhelp\b", r"\bbitte\b", r"\bk[öo]nnen sie\b", r"\bich h[äa]tte gern", r"\bich m[öo]chte\b", r"\bpouvez-vous\b", r"\bpourriez-vous\b",
    r"\bmerci de\b", r"\bje voudrais\b", r"\bpor favor\b", r"\bpod[ée]is\b", r"\bpodr[ií]an?\b", r"\bquisiera\b", r"\bnecesito\b", r"\bquiero\b",
)
# Saying something is wrong: with a topic above, as good as asking.
TROUBLE = _rx(
    r"\b(?:can'?t|cannot|can not|unable to|couldn'?t|doesn'?t|does not|won'?t|isn'?t)\b", r"\bnever (?:arrives?|arrived|came|comes)\b",
    r"\bexpired?\b", r"\bproblems?\b", r"\bissues?\b", r"\bloops?\b",
    r"\bkann\b[^.\n]{0,40}\bnicht\b", r"\bkommt\b[^.\n]{0,40}\bnicht\b", r"\bimpossible\b", r"\bn'arrive (?:pas|plus|jamais)\b",
    r"\bno (?:puedo|me llega|llega|funciona)\b",
)
# Heat the escalation rule did not name: the classifier (which may choose `human`) decides these.
HEATED = _rx(
    r"!{2,}", r"\?!", r"\b(?:unacceptable|ridiculous|outrageous|pathetic|disgusting|incompetent|useless)\b",
    r"\b(?:third|fourth|fifth|3rd|4th|5th) (?:time|e-?mail|message)\b", r"\b(?:no ?one|nobody) (?:has )?(?:answer|repl|respond|help)",
    r"\bstill (?:no|waiting for an?) (?:answer|reply|response)\b", r"\bor else\b", r"\bright now\b", r"\bimmediately\b",
    r"\bcomplain(?:t)?\b", r"\breport you\b",
    r"\bunm[öo]glich\b", r"\bsofort\b", r"\bbeschwerde\b", r"\binacceptable\b", r"\bscandaleu", r"\bimm[ée]diatement\b", r"\bplainte\b",
    r"\binaceptable\b", r"\binmediatamente\b", r"\bqueja\b", r"\bvergüenza\b",
)
# Something reported solved: maybe a closer with details ("thanks, the error is gone"); the classifier decides.
SOLVED = _rx(
    r"\b(?:fixed|solved|resolved|sorted)\b", r"\b(?:works|working) (?:now|again)\b", r"\bis gone\b", r"\bbehoben\b",
    r"\bgel[öo]st\b", r"\bfunktioniert (?:jetzt|wieder)\b", r"\br[ée]solu\b", r"\b(?:marche|fonctionne) (?:maintenant|à nouveau)\b",
    r"\bresuelto\b", r"\bya funciona\b",
)
# Topics where a request-like message may still want a person or no answer at all: a death in the
# family, access the sender did not ask for, payment notices from accounting systems. The classifier decides.
NOT_CLEAR = _rx(
    r"\b(?:died|death|funeral|late (?:husband|wife|father|mother))\b", r"\bverstorben\b", r"\b(?:tod|todes)\b",
    r"\bd[ée]c[ée]d[ée]", r"\bfalleci[óo]\b",
    r"\bdidn'?t (?:request|ask for)\b", r"\bwasn'?t (?:me|trying)\b", r"\bsuspicious\b", r"\bsomeone (?:is |was )?(?:trying|tried)\b",
    r"\bnicht angefordert\b", r"\bpas demand[ée]\b", r"\bno (?:lo )?(?:he )?solicit",
    r"\bremittance\b", r"\bpayment advice\b", r"\bzahlungsavis\b", r"\bavis de (?:paiement|virement)\b", r"\baviso de pago\b",
)
LINK = _rx(r"https?://", r"\bwww\.")
MAX_REQUEST_CHARS = 1500  # a customer's request fits; longer mail is more often a pitch, a forward or a complaint letter

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


def support_request(subject: str, body: str, known_customer: bool) -> RuleMatch | None:
    """A clear, calm support request from a customer the app knows: the agent answers, no classifier.

    A known customer (the app's integration found the sender) is what makes this safe to decide
    by pattern: cold pitches and phishing come from strangers. Everything that could need a
    person still can get one: the routing-away rules ran first, heated mail is left to the
    classifier, and after the agent the hand-over paths stay (no draft -> a person, actions
    through the approval policy, categories that never auto-send).
    """
    own = own_text(body)
    if not known_customer or not own or len(own) > MAX_REQUEST_CHARS or len(LINK.findall(own)) > 1:
        return None
    text = f"{subject}\n{own}"
    if HEATED.search(text) or SOLVED.search(text) or NOT_CLEAR.search(text):
        return None
    for topic, pattern in REQUEST_TOPIC.items():
        found = pattern.search(text)
        if found and (topic == "bug_report" or ASKS.search(own) or TROUBLE.search(text)):
            return RuleMatch("respond", topic, "support_request",
                             f"a customer's {topic.replace('_', ' ')} request ({found.group(0).strip()[:40]!r})")
    found = QUESTION.search(own)
    if found:
        return RuleMatch("respond", "product_question", "support_request",
                         f"a customer's question ({found.group(0).strip()[:40]!r})")
    return None


def first_match(
    *, sender_email: str, sender_name: str, subject: str, body: str, seconds_since_auto_send: float | None,
    known_customer: bool = False,
) -> RuleMatch | None:
    """The first rule that decides the route, in the order the module docstring gives; None leaves it open."""
    auto = automatic(sender_email, sender_name, subject, body)
    guarded = loop_guard(seconds_since_auto_send, auto)
    if guarded is not None:
        return guarded
    return (auto or needs_person(subject, body, sender_email) or junk(subject, body) or closer(subject, body)
            or support_request(subject, body, known_customer))
