"""Custom authentication extensions in the admin center (issue 14): registration and the replay
console."""
