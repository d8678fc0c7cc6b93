"""Protocol core (RFC 7523, 6749, 7636, 8414, 7662, 7009, JOSE, x5c chains): no web framework, no ORM."""
