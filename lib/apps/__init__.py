"""The product apps whose inboxes we answer: registry (`registry`), and their integration endpoints."""
