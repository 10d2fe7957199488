"""Staff: accounts, roles, login sessions and lockout after failed logins."""
