"""The trust loop: how teammates' sent replies compare with the agent's drafts (signals), the
decayed acceptance per app and category they add up to (scores), and the auto-send gate built on it."""
