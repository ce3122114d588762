"""Who is asking: users with roles, their passwords and access tokens, and the config's device tokens."""
