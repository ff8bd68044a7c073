"""The agent's input (the gathered context) and output (a decision), as validated pydantic models.

Two output shapes on purpose: `ModelOutput` is what the LLM (or the offline
rules) may say — reasoning, an optional proposed action, a draft — and has no
approval field at all, so nothing a model writes can switch approval off.
`AgentDecision` is what `decide()` returns after `lib.agent.policy` has set
`requires_approval` in code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.actions.kinds import ActionType
from lib.apps.registry import AppInfo  # one definition of an app's settings, beside the registry


# What a customer message is about, as the agent (model or offline rules) classifies it. Stored with the
# action and the draft and shown to approvers; `lib.routing` has its own categories for what it routes away.
# `legal`, `angry_customer` and `team_license` (team/enterprise licences, seats) are on the default never-auto-send list.
Category = Literal["refund", "transfer", "access", "billing", "product_question", "bug_report", "account", "feedback", "legal",
                   "angry_customer", "team_license", "other"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class _Lenient(BaseModel):
    """Context pieces come from other steps and external APIs: unknown keys are ignored, not fatal."""

    model_config = ConfigDict(extra="ignore")


class Customer(_Lenient):
    """The customer as the app integration (or, failing that, the event) describes them."""

    model_config = ConfigDict(extra="allow")

    user: dict[str, Any] | None = None
    purchases: list[dict[str, Any]] = Field(default_factory=list)
    source: str = "event"
    email: str | None = None

    @field_validator("purchases", mode="before")
    @classmethod
    def _no_purchases_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def user_email(self) -> str | None:
        return (self.user or {}).get("email") or self.email

    def purchase(self, purchase_id: Any) -> dict[str, Any] | None:
        """The customer's own purchase with this id (compared as strings), or None."""
        if purchase_id is None:
            return None
        return next((p for p in self.purchases if str(p.get("id")) == str(purchase_id)), None)


class HistoryMessage(_Lenient):
    id: str | None = None
    author: str | None = None
    is_inbound: bool = True
    text: str = ""
    created_at: Any = None

    @field_validator("text", mode="before")
    @classmethod
    def _no_text_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value


class LatestMessage(_Lenient):
    id: str | None = None
    subject: str | None = None
    body: str | None = None
    sender_email: str | None = None
    sender_name: str | None = None


class AgentContext(_Lenient):
    """What `gather-context` produced (see lib/workflows/inbound/context.py)."""

    conversation_id: str
    app: AppInfo
    customer: Customer | None = None
    messages: list[HistoryMessage] = Field(default_factory=list)
    latest_message: LatestMessage = Field(default_factory=LatestMessage)
    fallbacks: list[str] = Field(default_factory=list)

    @property
    def customer_email(self) -> str | None:
        """Who wrote in: the integration's user email, else the message's sender."""
        return (self.customer.user_email if self.customer else None) or self.latest_message.sender_email

    def customer_text(self) -> str:
        """The latest customer message as plain text (subject and body), for the rules and the prompt."""
        body = self.latest_message.body
        if not body:
            inbound = [m for m in self.messages if m.is_inbound and m.text]
            body = inbound[-1].text if inbound else ""
        subject = self.latest_message.subject or ""
        return f"{subject}\n{body}".strip()


class ProposedAction(BaseModel):
    """An action the agent proposes; parameters use the camelCase keys documented in lib.actions.kinds."""

    type: ActionType
    parameters: dict[str, Any] = Field(default_factory=dict)


class AgentProposal(BaseModel):
    """What a reasoner (OpenAI or offline) proposes, before policy."""

    reasoning: str
    action: ProposedAction | None = None
    draft_response: str | None = None
    category: Category = "other"
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class AgentDecision(BaseModel):
    """The `agent-reasoning` step's output: the proposal plus the approval requirement the policy set."""

    reasoning: str
    action: ProposedAction | None = None
    draft_response: str | None = None
    requires_approval: bool
    approval_reason: str | None = None
    mode: Literal["openai", "offline"]
    category: Category = "other"
    confidence: float = 0.5


# --- the LLM's structured output -----------------------------------------------------------------
# Strict JSON-schema mode wants closed objects, so parameters are a fixed set of nullable fields
# rather than a free dict; `to_proposed()` turns them into the camelCase parameter dict.


class ModelActionParameters(BaseModel):
    purchase_id: str | None = Field(default=None, description="id of the customer's purchase (refund, license_transfer)")
    amount: int | None = Field(default=None, description="refund amount in minor units (cents); null refunds the whole purchase")
    reason: str | None = Field(default=None, description="short reason, in the customer's words (refund)")
    from_email: str | None = Field(default=None, description="current email (license_transfer, email_change)")
    to_email: str | None = Field(default=None, description="new email (license_transfer, email_change)")
    email: str | None = Field(default=None, description="where to send the sign-in link (magic_link)")


_PARAMETER_KEYS = {
    "purchase_id": "purchaseId",
    "amount": "amount",
    "reason": "reason",
    "from_email": "fromEmail",
    "to_email": "toEmail",
    "email": "email",
}


class ModelAction(BaseModel):
    type: ActionType
    parameters: ModelActionParameters = Field(default_factory=ModelActionParameters)

    def to_proposed(self) -> ProposedAction:
        values = self.parameters.model_dump()
        return ProposedAction(
            type=self.type, parameters={_PARAMETER_KEYS[k]: v for k, v in values.items() if v is not None}
        )


class ModelOutput(BaseModel):
    """The JSON the model must end with. It has no approval field: approval is decided in code."""

    reasoning: str = Field(description="why you chose this action and reply; for the human reviewer")
    action: ModelAction | None = Field(default=None, description="the one action to propose, or null")
    draft_response: str | None = Field(default=None, description="the reply to the customer in Markdown, or null to leave it to a human")
    category: Category = Field(description="what the message is about")
    confidence: float = Field(description="how sure you are of the action and reply, from 0 (guess) to 1 (certain)")

    def to_proposal(self) -> AgentProposal:
        return AgentProposal(
            reasoning=self.reasoning,
            action=self.action.to_proposed() if self.action else None,
            draft_response=self.draft_response,
            category=self.category,
            confidence=min(1.0, max(0.0, self.confidence)),  # strict mode cannot bound it for us everywhere
        )
