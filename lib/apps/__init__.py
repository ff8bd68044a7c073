"""The product apps whose inboxes we answer: registry (`registry`), and their integration endpoints."""

# How long an auto-send app's draft waits in Front before it is sent (a teammate may take it over meanwhile).
AUTO_SEND_DELAY_SECONDS = 300

# Auto-send is earned per category from teammates' edits to the agent's drafts (lib.trust):
# the decayed acceptance a category needs, how many signals at least, the confidence one draft
# needs, and the categories never sent without a teammate (NULL on the app means this list).
TRUST_THRESHOLD = 0.85
TRUST_MIN_SAMPLES = 50
CONFIDENCE_FLOOR = 0.90
NEVER_AUTO_SEND: tuple[str, ...] = ("legal", "angry_customer", "team_license", "other")
# Days message texts (drafts, teammates' replies in signals) are kept; counts and scores stay.
RETENTION_DAYS = 30
