"""What every capability stands on: the database and its migrations (`db`, `migrations/`), the
tables (`models`), settings (`config`), domain errors carrying a catalog key (`errors`), the
clock in UTC (`clock`), the audit writer (`audit`), texts and locale formatting (`i18n`, with
`locales/<lang>/<area>.json`) and what may be stored of a text someone typed (`text`)."""
