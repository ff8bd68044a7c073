"""The support dashboard: per app, the last N days' figures (`queries`), their trend as SVG (`chart`) and the page (`views`)."""
