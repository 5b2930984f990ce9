"""Sign-in protection in the admin center (Entra's Protection section): conditional access and
its named locations, authentication methods, smart lockout."""
