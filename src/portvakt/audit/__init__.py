"""Append-only lookup audit shared by KRR and RRH (krr.md §11): who looked up whom, when, with which scope."""
