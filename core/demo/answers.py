"""What the generated cancellation flows say and how they unfold: the mix of outcomes, the time
between steps, where customers leave, the survey's reasons (drifting over the year), scores,
follow-ups, comments and the messages asking support to undo a cancellation.

The words themselves (outcomes, reasons) are the portal's vocabulary; only the weights and the
texts are the demo's.
"""

from __future__ import annotations

from core.rules.vocabulary import (
    OUTCOME_ABANDONED,
    OUTCOME_COMPLETED,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
)

FLOW_SHARE = 0.30
MONTH_DAYS = 365.25 / 12
# The outcomes a generated flow ends with, and how often (a flow is never left open).
OUTCOMES = (OUTCOME_COMPLETED, OUTCOME_SAVED_KEPT, OUTCOME_SAVED_OFFER, OUTCOME_ABANDONED)
OUTCOME_WEIGHTS = (45, 15, 12, 28)
# ... and under the playbook's version 2, whose offers by reason save more customers
OUTCOME_WEIGHTS_V2 = (36, 13, 26, 25)
SURVEY_SKIP_SHARE = 0.20
CONFIGURATOR_SHARE = 0.30  # of flows that see the offer and are not saved by it
STEP_DELAYS = {  # seconds after the previous step
    "survey_answered": (25, 240),
    "survey_skipped": (4, 30),
    "offer_shown": (2, 15),
    "configurator_opened": (8, 120),
    "plan_requested": (40, 420),
    "kept": (5, 90),
    "offer_accepted": (10, 150),
    "continued": (5, 120),
    "consents_given": (15, 150),
    "completed": (1, 6),
    "abandoned": (600, 3600),  # marked abandoned after a while without activity
}
ABANDON_AFTER = {  # weight of abandoning right after each step
    "started": 20,
    "survey_answered": 25,
    "survey_skipped": 25,
    "offer_shown": 18,
    "configurator_opened": 10,
    "continued": 15,
    "consents_given": 4,
}
# How often each of the survey's REASONS is given, a year ago and now (in their order).
REASON_WEIGHTS_YEAR_AGO = (32, 19, 14, 9, 10, 9, 7)
REASON_WEIGHTS_NOW = (42, 12, 15, 14, 7, 4, 6)
SATISFACTION_WEIGHTS = {  # for scores 1..5
    "too_expensive": (5, 15, 35, 30, 15),
    "missing_features": (10, 25, 35, 20, 10),
    "not_using": (5, 10, 35, 30, 20),
    "switching_tool": (15, 25, 30, 20, 10),
    "one_campaign": (2, 5, 25, 40, 28),
    "technical_issues": (30, 30, 25, 10, 5),
    "other": (10, 15, 35, 25, 15),
}
FOLLOW_UPS = {
    "too_expensive": (
        "Budget cut for next quarter",
        "Renewal price too high for a small team",
        "Only need it a few months a year",
        "Costo troppo alto per una piccola agenzia",
        "El precio subió en la renovación",
        "Would stay at around $100/month",
    ),
    "missing_features": (
        "TikTok audience demographics",
        "Shopify integration",
        "Affiliate link tracking",
        "Bulk email outreach",
        "Public API access",
        "YouTube Shorts metrics",
        "Instagram Stories tracking",
        "Payments to creators",
    ),
    "not_using": (
        "Team too small to use it every week",
        "Only a few searches in the last months",
        "Our marketing lead left",
        "Campagne sospese fino a settembre",
        "Seasonal business: back next year",
    ),
    "switching_tool": (
        "Upfluence",
        "Aspire",
        "HypeAuditor",
        "Modash",
        "GRIN",
        "Klear",
        "Heepsy",
        "Traackr",
        "CreatorIQ",
    ),
    "one_campaign": (
        "Product launch is over",
        "Only needed it for the Christmas campaign",
        "Campagna di Natale conclusa",
        "Campaña de verano terminada",
        "Event campaign finished",
    ),
    "technical_issues": (
        "Exports time out on large lists",
        "Search results load slowly",
        "Login problems with our company SSO",
        "Metrics out of date for some profiles",
        "Il report PDF non si scarica",
    ),
    "other": (
        "Company is closing",
        "Merged with another agency",
        "Moving influencer marketing in-house",
        "Client contract ended",
        "Preferisco non dirlo",
    ),
}
COMMENT_SHARE = 0.60
COMMENTS = {
    "too_expensive": (
        "Il servizio è ottimo ma il prezzo è alto per noi.",
        "Demasiado caro para una agencia pequeña.",
        "Would love a cheaper plan with fewer searches.",
        "Needed more seats without jumping to the next plan.",
        "Budget is frozen until next year.",
    ),
    "missing_features": (
        "Please add TikTok audience data!",
        "Ci manca l'integrazione con Shopify.",
        "We need to track affiliate sales per creator.",
    ),
    "not_using": (
        "La herramienta es buena pero no la usamos lo suficiente.",
        "Too many features we never used.",
        "We'll be back for the autumn campaigns.",
    ),
    "switching_tool": (
        "Nos cambiamos a otra plataforma por las integraciones.",
        "The other tool came bundled with our CRM.",
        "Peccato, la ricerca funziona molto bene.",
    ),
    "one_campaign": (
        "Ci serviva solo per una campagna.",
        "No tenemos campañas previstas este año.",
        "Great for the launch, nothing planned after it.",
    ),
    "technical_issues": (
        "Exports were slow with big lists.",
        "The engagement numbers didn't always match Instagram's.",
        "Data on smaller creators was sometimes outdated.",
    ),
    "other": (
        "Our client paused all influencer work.",
        "Funziona bene, ma abbiamo cambiato strategia.",
    ),
    "generic": (
        "Great tool, just not for us right now.",
        "Support was always quick and kind.",
        "The reports were the best part 👍",
        "Grazie di tutto!",
        "Gracias por todo 🙏",
        "Ottimo per trovare micro-influencer in Italia.",
        "Interface is clean, but the learning curve was steep for the team.",
        "Keep up the good work ✨",
    ),
}
UNDO_MESSAGES = (
    "Please undo my cancellation: we found budget for another quarter.",
    "Possiamo annullare la disdetta? Abbiamo un nuovo cliente.",
    "¿Podéis deshacer la cancelación? Fue un error.",
    "Clicked through by mistake, we want to keep the account.",
)
