"""Sandbox services: the test fakes (`tests.fakes`) served on fixed ports, with state kept on disk.

The tests use the same fakes in-process; a sandbox adds only what a person running
`make dev` needs: seeded data, a state file under `.data/sandbox/` so a restart
keeps conversations, drafts and refunds, and a small HTML page to look at them.
Each one runs on its own too: `python -m devkit.sandbox front|stripe|product --port N`.
"""
