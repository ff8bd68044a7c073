"""Money movement through Stripe: the lazily made client (`client`) and refunds (`refunds`)."""
