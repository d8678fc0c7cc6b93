"""KRR: Kontakt- og reservasjonsregisteret, the contact and reservation register."""
