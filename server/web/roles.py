"""Who may use the supervision, report and admin routes."""
SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)
