"""Who is asking: sign-in and lockout, browser sessions, the role checks every use case relies
on (`auth`), and password hashing (`passwords`)."""
