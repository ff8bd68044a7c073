"""Everything that exists only for local runs and tests, never deployed to Vercel.

`python -m devkit dev` runs the whole service on one machine with sandbox Front,
Stripe and product app (`devkit.sandbox`); `python -m devkit customer ...` and
`python -m devkit teammate-reply ...` act as the people in the story. `lib/` is
what runs in production; nothing in it imports `devkit`.
"""
