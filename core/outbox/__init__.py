"""Events out: what happened, told to the customer by e-mail and to other systems by signed
webhooks, through a transactional outbox.

The events and their deliveries are written by `core.platform.outbox.emit`, in the
transaction of the change they report (the change and its event commit together or not at
all). This package delivers them:
- `mail`: each event's e-mail in the customer's language (text, HTML, the receipt PDF) and
  sending it over SMTP;
- `webhooks`: the endpoints admins keep, the signed body, sending it safely;
- `worker`: claims due deliveries, sends them, retries with backoff for a day
  (`python -m core outbox run [--loop]`);
- `outgoing`: what the support desk's "Outgoing" tab lists, and "send again".

Owns the tables of `core.platform.outbox_tables` (delivery state, webhook endpoints) except
`password_resets` (`core.identity.resets`).
"""
