"""The product apps whose inboxes we answer: registry (`registry`), and their integration endpoints."""

# How long an auto-send app's draft waits in Front before it is sent (a teammate may take it over meanwhile).
AUTO_SEND_DELAY_SECONDS = 300
