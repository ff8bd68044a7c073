"""The offline agent: keyword rules and reply templates, used when `OPENAI_API_KEY` is unset.

It exists so `make dev` and the end-to-end tests run the whole pipeline without
an LLM. It is never a fallback for a failing OpenAI call (see `lib.agent.decide`).

Rules, first match wins, on the latest customer message (subject and body):

1. transfer / email change — "transfer my license", "transfer it to a@b.c", "change my email" ...
   With a new address in the message: a `license_transfer` of the customer's
   latest purchase (or an `email_change` when no purchase is known or the
   customer asks to change their account email); without one: ask for it.
2. refund — "refund", "money back", "charged twice" ...: a `refund` of the
   purchase whose product the message names, else the latest purchase; with no
   purchase on record: ask for the order details.
3. login — "log in", "sign in", "magic link", "password", "locked out" ...:
   a `magic_link` to the customer's own address.
4. anything else: no action and a holding reply saying a teammate will answer.

Each rule sets a category and a fixed confidence (there is no model to be unsure):
transfer/email change with the new address 0.8 (`transfer`/`account`), without it 0.6;
refund 0.8 with a purchase on record, 0.5 without (`refund`); sign-in 0.7 (`access`);
anything else 0.3, as `billing` (invoices, receipts, VAT), `bug_report` (errors, crashes),
`product_question` (any other question) or `other`. Whatever the rule, a message naming
lawyers, lawsuits or GDPR is `legal`, an angry or abusive one `angry_customer`, and one about
team, enterprise or multi-seat licences `team_license` (in that order): the categories an app
never auto-sends by default. The keywords include common German, French and Spanish words for
the same requests.

Approval is not decided here: `lib.agent.policy` applies afterwards, as for the model.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from lib.actions.kinds import ActionType
from lib.agent.models import AgentContext, AgentProposal, Category, ProposedAction
from lib.agent.policy import parse_time

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

TRANSFER = re.compile(
    r"\btransfer (?:my |the |this |our |a )?(?:licen[cs]e|account|purchase|subscription|seat)s?\b"
    r"|\btransfer\b[^.?!\n]*\bto [A-Za-z0-9._%+-]+@"
    r"|\bmove (?:my |the )?(?:licen[cs]e|account|purchase|subscription)"
    r"|\b(?:change|update) (?:my |the )?(?:account )?e-?mail|\bnew e-?mail address|\bdifferent e-?mail"
    r"|\b(?:lizenz|konto) (?:auf|an) .{0,40}(?:übertragen|umziehen)|\btransf[ée]rer (?:ma |la |mon )?(?:licence|compte)"
    r"|\btransferir (?:mi |la |el )?(?:licencia|cuenta)|\bcambiar (?:mi )?(?:correo|e-?mail)|\bchanger (?:mon |d')?(?:adresse )?e-?mail",
    re.IGNORECASE,
)
EMAIL_CHANGE = re.compile(
    r"\b(?:change|update) (?:my |the )?(?:account )?e-?mail|\bnew e-?mail address|\bcambiar (?:mi )?(?:correo|e-?mail)"
    r"|\bchanger (?:mon |d')?(?:adresse )?e-?mail|\be-?mail-?adresse (?:ändern|aktualisieren)",
    re.IGNORECASE,
)
REFUND = re.compile(
    r"\brefund|\bmoney back\b|\bcharged (?:me )?twice\b|\bdouble[- ]charged\b|\breimburse|\bchargeback\b"
    r"|\br[üu]ckerstattung|\bgeld zur[üu]ck|\berstatt|\brembours|\breembols|\bdevoluci[óo]n|\bdevolver (?:el|mi) dinero",
    re.IGNORECASE,
)
LOGIN = re.compile(
    r"\blog ?in\b|\blogin\b|\bsign ?in\b|\bmagic link\b|\bpassword\b|\blocked out\b|\bcan'?t access\b|\bcannot access\b|\baccess my account\b"
    r"|\banmelden\b|\beinloggen\b|\bpasswort\b|\bse connecter\b|\bconnexion\b|\bmot de passe\b|\biniciar sesi[óo]n\b|\bcontrase[ñn]a\b"
    r"|\bacceder a mi cuenta\b",
    re.IGNORECASE,
)
BILLING = re.compile(r"\binvoice|\breceipt|\bvat\b|\bbilling|\bcharge[ds]?\b|\brechnung|\bfacture|\bfactura|\bquittung|\bpayment method", re.IGNORECASE)
BUG = re.compile(r"\berror\b|\bcrash|\bbug\b|\bbroken\b|\bdoesn'?t work|\bnot working|\bfehler|\babsturz|\berreur|\bplante\b|\bno funciona", re.IGNORECASE)

LEGAL = re.compile(
    r"\blawyer|\battorney|\blegal action\b|\bsue (?:you|your)|\blawsuit|\bsmall claims\b|\b(?:gdpr|dsgvo) (?:request|complaint|violation|breach)|\bunder (?:the )?(?:gdpr|dsgvo)\b|\bdata protection (?:request|authority)"
    r"|\bsubpoena|\bcease and desist|\banwalt|\brechtliche schritte|\bavocat\b|\bpoursuites?\b|\babogado\b|\bdemanda\b",
    re.IGNORECASE,
)
ANGRY = re.compile(
    r"\bunacceptable\b|\bridiculous\b|\boutrageous\b|\bdisgusting\b|\bfurious\b|\bscam(?:mers?)?\b|\bworst (?:service|company|support)"
    r"|\bfed up\b|\bsick of\b|\bwtf\b|\bf+u+c+k|\bshit\b|\bunverschämt|\binakzeptabel|\binadmissible\b|\binaceptable\b",
    re.IGNORECASE,
)
TEAM_LICENSE = re.compile(
    r"\b(?:team|enterprise|site|volume|multi-?user|company) (?:licen[cs]e|plan|pricing|seats?)s?\b|\b\d+ (?:seats|licen[cs]es|users)\b"
    r"|\badd (?:more )?seats\b|\bseats? for (?:my|our) team\b|\bteam-?lizenz|\blicence (?:d'équipe|entreprise)|\blicencia (?:de equipo|empresarial)",
    re.IGNORECASE,
)

SIGNATURE = "\n\nBest,\nThe {app} team"


def run(context: AgentContext) -> AgentProposal:
    """Apply the rules above to the context; a legal, angry or team-licence message keeps that category whatever the rule."""
    text = context.customer_text()
    proposal = _propose(context, text)
    sensitive = _sensitive_category(text)
    return proposal.model_copy(update={"category": sensitive}) if sensitive else proposal


def _sensitive_category(text: str) -> Category | None:
    """The categories an app never auto-sends by default: they win over the rule's own category."""
    if LEGAL.search(text):
        return "legal"
    if ANGRY.search(text):
        return "angry_customer"
    if TEAM_LICENSE.search(text):
        return "team_license"
    return None


def _propose(context: AgentContext, text: str) -> AgentProposal:
    if TRANSFER.search(text):
        return _transfer(context, text)
    if REFUND.search(text):
        return _refund(context, text)
    if LOGIN.search(text):
        return _login(context)
    return AgentProposal(
        reasoning="Offline rules: the message is not a refund, sign-in or transfer request; a teammate should answer it.",
        action=None,
        draft_response=_reply(context, "Thanks for getting in touch. A member of our team will look into this and get back to you shortly."),
        category=_other_category(text),
        confidence=0.3,
    )


def _other_category(text: str) -> Category:
    if BILLING.search(text):
        return "billing"
    if BUG.search(text):
        return "bug_report"
    return "product_question" if "?" in text else "other"


def _refund(context: AgentContext, text: str) -> AgentProposal:
    purchase = _mentioned_purchase(context, text) or _latest_purchase(context)
    if purchase is None:
        return AgentProposal(
            reasoning="Offline rules: refund request, but no purchase is on record for this customer.",
            action=None,
            draft_response=_reply(
                context,
                "I'm sorry to hear that. I couldn't find a purchase under this email address. Could you reply with the "
                "email you used at checkout, or your order number, so we can look into the refund?",
            ),
            category="refund",
            confidence=0.5,
        )
    product = purchase.get("product") or "your purchase"
    params: dict[str, Any] = {"purchaseId": str(purchase["id"]), "reason": "Customer asked for a refund"}
    return AgentProposal(
        reasoning=f"Offline rules: refund request; proposing a full refund of purchase {purchase['id']} ({product}).",
        action=ProposedAction(type=ActionType.REFUND, parameters=params),
        draft_response=_reply(
            context,
            f"I'm sorry {product} didn't work out for you. I've requested a refund of {_money(purchase)} for {product}; "
            "we'll confirm by email once it has been processed. Refunds usually show up on your statement within 5-10 business days.",
        ),
        category="refund",
        confidence=0.8,
    )


def _login(context: AgentContext) -> AgentProposal:
    email = context.customer_email
    if not email:
        return AgentProposal(
            reasoning="Offline rules: sign-in problem, but the customer's email is unknown.",
            action=None,
            draft_response=_reply(context, "Sorry you're having trouble signing in. Which email address do you use for your account?"),
            category="access",
            confidence=0.7,
        )
    return AgentProposal(
        reasoning=f"Offline rules: sign-in problem; proposing a magic sign-in link to the customer's own address {email}.",
        action=ProposedAction(type=ActionType.MAGIC_LINK, parameters={"email": email}),
        draft_response=_reply(
            context,
            f"Sorry you're having trouble signing in. We're sending a fresh sign-in link to {email}; it is valid for a "
            "limited time, so please use it soon. If it doesn't arrive within a few minutes, check your spam folder.",
        ),
        category="access",
        confidence=0.7,
    )


def _transfer(context: AgentContext, text: str) -> AgentProposal:
    current = context.customer_email
    targets = [e for e in EMAIL.findall(text) if not current or e.lower() != current.lower()]
    if not targets:
        return AgentProposal(
            reasoning="Offline rules: transfer or email change request without the new address.",
            action=None,
            draft_response=_reply(context, "Happy to help with that. Which email address should we move it to?"),
            category="account" if EMAIL_CHANGE.search(text) else "transfer",
            confidence=0.6,
        )
    target = targets[0]
    purchase = _latest_purchase(context)
    if EMAIL_CHANGE.search(text) or purchase is None:
        action = ProposedAction(type=ActionType.EMAIL_CHANGE, parameters={"fromEmail": current, "toEmail": target})
        what = f"change the account email from {current} to {target}"
        reply = f"Thanks! We'll change your account email to {target} and confirm once it's done."
    else:
        product = purchase.get("product") or "your license"
        action = ProposedAction(
            type=ActionType.LICENSE_TRANSFER,
            parameters={"purchaseId": str(purchase["id"]), "fromEmail": current, "toEmail": target},
        )
        what = f"transfer purchase {purchase['id']} ({product}) to {target}"
        reply = f"Thanks! We'll transfer {product} to {target} and confirm once it's done."
    action.parameters = {k: v for k, v in action.parameters.items() if v is not None}
    category: Category = "account" if action.type == ActionType.EMAIL_CHANGE else "transfer"
    return AgentProposal(reasoning=f"Offline rules: proposing to {what}.", action=action, draft_response=_reply(context, reply),
                         category=category, confidence=0.8)


def _latest_purchase(context: AgentContext) -> dict[str, Any] | None:
    purchases = [p for p in (context.customer.purchases if context.customer else []) if p.get("id") is not None]
    if not purchases:
        return None
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return max(purchases, key=lambda p: parse_time(p.get("purchased_at")) or oldest)


def _mentioned_purchase(context: AgentContext, text: str) -> dict[str, Any] | None:
    lowered = text.lower()
    for purchase in context.customer.purchases if context.customer else []:
        product = str(purchase.get("product") or "").strip().lower()
        if purchase.get("id") is not None and product and product in lowered:
            return purchase
    return None


def _money(purchase: dict[str, Any]) -> str:
    amount = purchase.get("amount")
    currency = str(purchase.get("currency") or "").upper()
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        return "the full amount"
    value = f"{amount / 100:,.2f}"
    symbols = {"USD": "$", "EUR": "€", "GBP": "£"}
    return f"{symbols[currency]}{value}" if currency in symbols else f"{value} {currency}".strip()


def _reply(context: AgentContext, body: str) -> str:
    name = (context.customer.user or {}).get("name") if context.customer else None
    name = name or context.latest_message.sender_name
    first = str(name).split()[0] if name and str(name).split() else None
    greeting = f"Hi {first}," if first else "Hi,"
    return f"{greeting}\n\n{body}" + SIGNATURE.format(app=context.app.name or context.app.slug)
