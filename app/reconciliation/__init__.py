"""Reconciliation against WeChat Pay's daily trade bill (DESIGN §8); for now the bill's parser (`bill.py`)."""
