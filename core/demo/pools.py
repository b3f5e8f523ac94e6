"""What the demo's accounts hold: company names by language, platforms and their engagement,
categories, follower tiers, notes, list names, campaign themes and competitors."""

from __future__ import annotations

COMPANY_LANGUAGE = {
    "IT": "it", "ES": "es", "MX": "es", "AR": "es", "CO": "es", "FR": "fr", "BE": "fr",
    "DE": "de", "AT": "de", "CH": "de", "PT": "pt", "BR": "pt", "NL": "nl", "JP": "ja",
}  # fmt: skip
COMPANY_ROOTS = {
    "it": ("Riflesso", "Bottega Luce", "Nuvola", "Gioia", "Fiordaliso", "Vela", "Colle Verde",
           "Dolce Forma", "Aurora", "Stella Marina", "Ca' Rossa", "Solaria"),
    "es": ("Núcleo", "Brisa", "Alma", "Solera", "Marea", "Pura Vida", "Azahar", "Cumbre",
           "Jazmín", "Olivar"),
    "fr": ("Céleste", "Belle Époque", "Atelier Noé", "Maison Élise", "Côte Sauvage",
           "Papillon", "Bohème", "Rivière"),
    "de": ("Nordlicht", "Blütezeit", "Wunderkammer", "Grünwald", "Sonnenschein", "Fernweh",
           "Bergkristall", "Glückspilz"),
    "pt": ("Maré", "Saudade", "Açaí", "Ipê", "Sol Nascente", "Brisa do Mar", "Jabuticaba",
           "Cais"),
    "nl": ("Tulp", "Gracht", "Vonk", "Polder", "Zeewind", "Molen"),
    "ja": ("Sakura", "Kumo", "Hoshi", "Midori", "Tsuki", "Hanabi"),
    "en": ("Brightside", "Northstar", "Bluebird", "Kindred", "Oakwood", "Silverline",
           "Wildflower", "Harbor & Vine", "Golden Hour", "Maple Street", "Ember", "Tidewater",
           "Fernhill", "Copperleaf", "Moonrise", "Little Fox"),
}  # fmt: skip
BRAND_FORMS = (
    "{} Cosmetics", "{} Skincare", "{} Apparel", "{} Coffee", "{} Outdoor", "{} Swimwear",
    "{} Beauty", "{} Foods", "{} Games", "{} Fitness", "{} Travel", "{} Home", "{} Jewelry",
    "{} Pet Co.", "{} Eyewear", "{} Organics",
)  # fmt: skip
AGENCY_FORMS = {
    "it": ("Agenzia {}", "{} Comunicazione", "{} Digital"),
    "es": ("Estudio {}", "{} Agencia", "{} Social"),
    "fr": ("Agence {}", "{} Studio"),
    "de": ("{} Media GmbH", "{} Agentur"),
    "pt": ("Agência {}", "{} Digital"),
    "nl": ("{} Media B.V.", "Bureau {}"),
    "ja": ("{} Creative", "{} Media"),
    "en": ("{} Social Agency", "{} Media", "{} Talent Agency", "{} & Partners", "{} Creative Co."),
}

PLATFORMS = ("instagram", "tiktok", "youtube", "twitch", "x", "facebook")
PLATFORM_WEIGHTS = (35, 25, 18, 6, 8, 8)
PLATFORM_ENGAGEMENT = {
    "instagram": 1.0, "tiktok": 1.35, "youtube": 0.8, "twitch": 0.9, "x": 0.5, "facebook": 0.5,
}  # fmt: skip
CATEGORIES = (
    "beauty", "fashion", "travel", "food", "fitness", "gaming", "tech", "music", "parenting",
    "sports", "lifestyle", "wellness", "pets", "home", "education", "comedy",
)  # fmt: skip
FOLLOWER_TIERS = (
    (1_000_000, "mega"), (250_000, "macro"), (50_000, "mid-tier"), (10_000, "micro"),
    (1_000, "nano"),
)  # fmt: skip
EMOJI = ("✨", "🌸", "🌿", "🔥", "💄", "🎮", "✈️", "🍝", "💪", "🎧", "📸", "🌍", "☕", "🐾", "🌙")
EMOJI_SHARE = 0.08
HOME_SHARE = 0.35  # share of an account's influencers from its own country's culture
EMAIL_DOMAINS = ("talent.example", "mail.example", "creators.example", "studio.example")
INFLUENCER_NOTES = (
    "Great fit for the spring launch.",
    "Ha già lavorato con noi — ottimi risultati 👍",
    "Prefers contact via DM.",
    "Tarifa: 450 € por publicación.",
    "Audience mostly 18-24, female.",
    "Chiedere media kit aggiornato.",
    "Exclusive with a competitor until Q3.",
    "+39 347 555 0199 (agent)",
    "=Top performer in Q1",
    "@manager handles all contracts",
    "Very responsive; sends drafts on time.",
    "Répond en français et en anglais.",
    "Needs product samples shipped to Lisbon.",
    "日本語と英語で対応可能",
    "Не работает с алкогольными брендами.",
    "Vegan products only 🌱",
    "Rate card: $1,200 per Reel, $800 per TikTok.",
    "Sehr professionell, liefert pünktlich.",
)
LIST_NAMES = (
    "Shortlist {season} {year}", "Top micro-influencers", "Beauty creators", "Gaming streamers",
    "Travel & lifestyle", "Brand ambassadors", "Da contattare", "Favoritos", "Già collaborato",
    "Do not contact", "UGC creators", "TikTok rising stars", "Foodies {year}",
)  # fmt: skip
CAMPAIGN_THEMES = (  # by the month a campaign starts in; "any" fits every month
    ((3, 4, 5), ("Spring Launch", "Lancio Primavera", "Easter Treats", "Spring Refresh")),
    ((6, 7, 8), ("Summer Glow", "Saldi Estivi", "Rebajas de Verano", "Festival Season")),
    ((9, 10), ("Back to School", "Vuelta al Cole", "Autumn Drop", "Rientro")),
    ((11,), ("Black Friday", "Singles' Day", "Holiday Gifting")),
    ((12, 1, 2), ("Holiday Gifting", "Natale", "New Year, New You", "Winter Sale")),
    ((), ("Brand Awareness", "Product Seeding", "Always-on Ambassadors", "New Collection")),
)
PLATFORM_LABELS = {
    "instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube", "twitch": "Twitch",
    "x": "X", "facebook": "Facebook",
}  # fmt: skip
COMPETITOR_BRANDS = (
    "Glowhaus", "Velluto Beauty", "Trailmark Outdoor", "Nova Sips", "PixelPeak Games",
    "Maison Verte", "Kumo Tea", "Brisa Swim",
)  # fmt: skip
SEASONS = ("Spring", "Summer", "Autumn", "Winter")
