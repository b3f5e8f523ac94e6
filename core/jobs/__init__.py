"""Jobs that run without a person: the subscription lifecycle (`lifecycle`: end, renew and
invoice, purge, sweep abandoned flows, delete expired sign-in sessions; the retention offers
taken: discounts, downgrades, and pauses in `pauses`) and its demo clock."""
