"""Token validation for resource servers (maskinporten.md §14): ours and API providers'."""
