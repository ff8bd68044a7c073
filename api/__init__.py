"""Vercel Python functions: each module exposes a Flask `app` and holds no business logic.

(Vercel does not serve files starting with `_`, so this file only makes `api` importable.)
"""
