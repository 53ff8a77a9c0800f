"""The payment providers: WeChat Pay APIv3 and APIv2 (over HTTP, outside any transaction) and the wallet (inside it).

Which one serves what is app/payments/registry.py's to say.
"""
