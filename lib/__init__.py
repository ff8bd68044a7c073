"""Everything behind the thin Vercel functions in `api/`: config, database, workflows, integrations."""
