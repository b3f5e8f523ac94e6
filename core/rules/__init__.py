"""The one home of the business rules, plain values and pure functions with no database:
`vocabulary` (roles, statuses, outcomes, funnel, reasons, request kinds, audit actions, tenure
bands), `pricing` (the custom plan, its units, its $98 floor and its price) and `billing`
(billing periods, the dates derived from them, invoice numbers). The app, the lifecycle job and
the demo generator all use these."""
