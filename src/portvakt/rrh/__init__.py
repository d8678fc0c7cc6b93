"""RRH: Brønnøysund's register of beneficial owners (reelle rettighetshavere)."""
