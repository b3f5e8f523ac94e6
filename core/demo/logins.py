"""The demo's documented sign-ins and the names a presenter looks for: the demo customer and
its company, the demo admin, and the large agency the benchmarks sign in as."""

from __future__ import annotations

DEMO_CUSTOMER_EMAIL = "customer@demo.test"
DEMO_CUSTOMER_PASSWORD = "demo-customer"
DEMO_ADMIN_EMAIL = "admin@demo.test"
DEMO_ADMIN_PASSWORD = "demo-admin"
DEMO_COMPANY = "Lumière & Co. Agency"
DEMO_CUSTOMER_NAME = "Giulia Rossi"
DEMO_ADMIN_NAME = "Demo Admin"

LARGE_COMPANY = "Megastar Talent Agency"
LARGE_CUSTOMER_EMAIL = "agency@demo.test"
LARGE_CUSTOMER_PASSWORD = "demo-agency"
LARGE_CUSTOMER_NAME = "Marta Conti"
