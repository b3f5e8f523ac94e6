"""Churn insights for admins: figures, chart data, comments and the raw survey answers.

Every figure describes the **cancellation flows started in the date range** (UTC days, both
ends included) that match the plan, country and tenure filters; survey answers, retention
offers and flow steps count with the flow they belong to. The verified saves alone go by the
day a flow was saved (`retention`: whether saved customers went on paying). Flows and answers
of purged accounts are included: they keep plan, country and tenure band after the purge
(`account_id` is NULL).

Each flow carries the facts the figures need (survey state, reason, satisfaction, the funnel
stages it reached, the offer's state and requested price: see `CancellationFlow`), written by
the same transaction that writes the answer, offer or step, and the database adds them up as it
goes (`insight_totals`, `insight_prices`, `insight_reasons`; for the retention playbook's
figures `insight_saves`, `insight_offers`, from the kinds of offer a flow was shown and the
price it pays once saved by one, which the database itself copies onto the flow): the page never
reads the flows one by one. The same SQLAlchemy Core statements run on SQLite and PostgreSQL.

Its modules, from the bottom up:

  buckets        the calendar: trend buckets (weeks, months) and the periods of a date range
  filters        the filter, its checks, the values it offers, the default date range,
                 countries by name
  totals         the running totals added up for a filter
  figures        the figures and charts' data (`insights`, `figures`)
  comments       the answers with free text, searched
  crosstabs      survey reasons by plan and by tenure band, revenue lost by reason
  drill          the flows behind a figure, a bar or a cross-tab cell, a page at a time
  answer_files   the charts' CSV tables and the survey answers' CSV behind a signed link
  retention      the retention playbook's figures: offers by kind, verified saves
  status_counts  subscriptions by status
  frames         a chart's small DataFrame as a formula-safe CSV file (pandas)
  analytics      the names the pages and the HTTP routes use as `analytics.<name>`

Every use case refuses anyone who is not an admin (`require_admin`), first thing.
"""
