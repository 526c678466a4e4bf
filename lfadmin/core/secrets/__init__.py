"""The secret wing: the secret key, the values Langflow encrypts with it, and rotation."""
