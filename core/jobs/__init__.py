"""Jobs that run without a person: the subscription lifecycle (`lifecycle`: end, renew and
invoice, purge, sweep abandoned flows, delete expired sign-in sessions) and its demo clock."""
