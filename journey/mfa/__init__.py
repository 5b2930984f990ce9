"""The sign-in's second factor (issue 12): after the first factor, the journey asks the
tenant's policies (protection.access) and the app's request (`acr_values`, an `acr` claim),
then blocks the sign-in, or asks for a second factor the customer enrolled, or has them enrol
one, or lets the sign-in through; and it says which methods the sign-in used (`amr`) for the
tokens. Its login stages are in `stages.py`, its pages in `views.py`.
"""
